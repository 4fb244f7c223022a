// The camera scanner: a live preview in a dialog; each code it reads goes to `onCode`
// (the same path as a keyboard-wedge scan).
import { useEffect, useRef, useState } from 'preact/hooks';
import { cameraProblem, startCamera, type CameraProblem } from './camera';
import { Dialog, type T } from './widgets';

export function CameraDialog({ t, onCode, onClose }: { t: T; onCode: (code: string) => void; onClose: () => void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [state, setState] = useState<'starting' | 'scanning' | CameraProblem>('starting');
  const [last, setLast] = useState('');
  const code = useRef(onCode);
  code.current = onCode;
  useEffect(() => {
    let stop: (() => void) | null = null;
    let closed = false;
    startCamera(video.current!, (text) => {
      setLast(text);
      code.current(text);
    }).then((s) => {
      if (closed) s();
      else {
        stop = s;
        setState('scanning');
      }
    }, (e) => !closed && setState(cameraProblem(e)));
    return () => {
      closed = true;
      stop?.();
    };
  }, []);
  const problem = state !== 'starting' && state !== 'scanning';
  return (
    <Dialog onClose={onClose}>
      <div class="camera" data-testid="camera">
        <h2>{t('camera.title')}</h2>
        <div class="camera-view" hidden={problem}>
          <video ref={video} muted playsInline autoPlay data-testid="camera-video" />
          <span class="camera-aim" />
        </div>
        {problem
          ? <p class="camera-problem" role="alert" data-testid="camera-problem">{t(`camera.${state}`)}</p>
          : <p class="camera-status muted" data-testid="camera-status">
              {state === 'starting' ? t('camera.starting') : last ? t('camera.scanned', { code: last }) : t('camera.hint')}
            </p>}
        <button class="btn primary wide" onClick={onClose} data-testid="camera-close">{t('camera.close')}</button>
      </div>
    </Dialog>
  );
}
