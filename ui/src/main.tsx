import { render } from 'preact';
import { App } from './app';
import { Client, HttpTransport } from './api/client';
import './styles.css';

const locale = () => (localStorage.getItem('opentill.locale') === 'en' ? 'en' : 'zh-CN');
// A Tauri IPC transport will be chosen here when the page runs inside the Tauri window.
const client = new Client(new HttpTransport(), locale);
render(<App client={client} />, document.getElementById('app')!);
