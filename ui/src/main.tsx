import { render } from 'preact';
import { App } from './app';
import { Client, defaultTransport } from './api/client';
import './styles.css';

const locale = () => (localStorage.getItem('opentill.locale') === 'en' ? 'en' : 'zh-CN');
// Inside the Tauri window (window.__TAURI__): IPC to the till's in-process router; in a
// browser: HTTP to the edge agent that served the page.
const client = new Client(defaultTransport(window), locale);
render(<App client={client} />, document.getElementById('app')!);
