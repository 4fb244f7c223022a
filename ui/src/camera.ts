// Camera scanning: the device's camera as one more scanner. The decoder (@zxing) is
// loaded only when the camera is opened, so the till's first load does not grow.

/** A code still in view within this many ms of its last sighting is the same scan. */
export const SAME_SCAN_MS = 1500;

/** When each code was last seen (ms). */
export type Sightings = ReadonlyMap<string, number>;

/**
 * One decoded frame: whether `text` is a new scan (not seen within `gapMs` before `now`),
 * and the sightings after it. A code held in front of the camera is decoded on many
 * frames; it is one scan until it has been out of view for `gapMs`.
 */
export function sighting(seen: Sightings, text: string, now: number, gapMs = SAME_SCAN_MS): { scan: boolean; seen: Sightings } {
  const last = seen.get(text);
  const next = new Map<string, number>();
  for (const [code, at] of seen) if (now - at <= gapMs) next.set(code, at);
  next.set(text, now);
  return { scan: last === undefined || now - last > gapMs, seen: next };
}

/** Why the camera cannot scan: none on this device, refused, or it failed to start. */
export type CameraProblem = 'none' | 'denied' | 'failed';

/** Whether this device has a camera (without asking for it). */
export async function hasCamera(nav: Navigator = navigator): Promise<boolean> {
  if (!nav.mediaDevices?.getUserMedia || !nav.mediaDevices.enumerateDevices) return false;
  try {
    return (await nav.mediaDevices.enumerateDevices()).some((d) => d.kind === 'videoinput');
  } catch {
    return false;
  }
}

/** The problem an error from `getUserMedia` (or the decoder) stands for. */
export function cameraProblem(e: unknown): CameraProblem {
  if (e === 'none' || e === 'denied' || e === 'failed') return e;
  const name = (e as { name?: string } | null)?.name;
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'denied';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'none';
  return 'failed';
}

/**
 * Asks for the (rear) camera, shows it in `video` and decodes EAN-13/EAN-8/UPC/Code 128/QR
 * from it; each new scan goes to `onCode` once. Resolves to the function that stops the
 * decoder and the camera; rejects with a `CameraProblem`.
 */
export async function startCamera(video: HTMLVideoElement, onCode: (code: string) => void): Promise<() => void> {
  if (!navigator.mediaDevices?.getUserMedia) throw 'none';
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  } catch (e) {
    throw cameraProblem(e);
  }
  const release = () => {
    stream.getTracks().forEach((track) => track.stop());
    video.srcObject = null;
  };
  try {
    const [{ BrowserMultiFormatReader }, { BarcodeFormat, DecodeHintType }] = await Promise.all([import('@zxing/browser'), import('@zxing/library')]);
    const hints = new Map<unknown, unknown>([
      [DecodeHintType.POSSIBLE_FORMATS, [BarcodeFormat.EAN_13, BarcodeFormat.EAN_8, BarcodeFormat.UPC_A, BarcodeFormat.UPC_E, BarcodeFormat.CODE_128, BarcodeFormat.QR_CODE]],
      [DecodeHintType.TRY_HARDER, true],
    ]);
    const reader = new BrowserMultiFormatReader(hints as never, { delayBetweenScanAttempts: 100, delayBetweenScanSuccess: 100 });
    let seen: Sightings = new Map();
    const controls = await reader.decodeFromStream(stream, video, (result) => {
      if (!result) return;
      const next = sighting(seen, result.getText(), performance.now());
      seen = next.seen;
      if (next.scan) onCode(result.getText());
    });
    return () => {
      controls.stop();
      release();
    };
  } catch (e) {
    release();
    throw cameraProblem(e);
  }
}
