import { describe, expect, it } from 'vitest';
import { cameraProblem, hasCamera, sighting, type Sightings } from './camera';

/** Feeds decoded frames `[text, ms]` through `sighting`; gives the texts that were scans. */
const scans = (frames: [string, number][], gapMs?: number) => {
  let seen: Sightings = new Map();
  const out: string[] = [];
  for (const [text, at] of frames) {
    const r = sighting(seen, text, at, gapMs);
    seen = r.seen;
    if (r.scan) out.push(text);
  }
  return out;
};

describe('sighting (camera debounce)', () => {
  it('takes a code seen on many consecutive frames as one scan', () => {
    const frames: [string, number][] = Array.from({ length: 50 }, (_, i) => ['6901234567892', 1000 + i * 100]);
    expect(scans(frames)).toEqual(['6901234567892']);
  });
  it('takes the same code again after it has been out of view for more than 1.5 s', () => {
    expect(scans([['6901234567892', 0], ['6901234567892', 1400], ['6901234567892', 2901], ['6901234567892', 3000]]))
      .toEqual(['6901234567892', '6901234567892']);
  });
  it('counts the gap from the last sighting, not the first', () => {
    // Held for 5 s, decoded every second: still one scan.
    expect(scans([0, 1000, 2000, 3000, 4000, 5000].map((at) => ['X1234567', at]))).toEqual(['X1234567']);
  });
  it('takes different codes as different scans, each once, also when frames alternate', () => {
    expect(scans([['A', 0], ['B', 100], ['A', 200], ['B', 300], ['C', 400]])).toEqual(['A', 'B', 'C']);
  });
  it('forgets codes not seen within the gap', () => {
    let seen: Sightings = new Map();
    seen = sighting(seen, 'A', 0).seen;
    seen = sighting(seen, 'B', 2000).seen;
    expect([...seen.keys()]).toEqual(['B']);
  });
  it('takes a gap in ms', () => {
    expect(scans([['A', 0], ['A', 300]], 200)).toEqual(['A', 'A']);
  });
});

describe('hasCamera', () => {
  const nav = (devices: Partial<MediaDeviceInfo>[] | null) =>
    (devices === null ? {} : { mediaDevices: { getUserMedia: async () => ({}), enumerateDevices: async () => devices } }) as unknown as Navigator;
  it('is false without mediaDevices (plain http, old browsers)', async () => {
    expect(await hasCamera(nav(null))).toBe(false);
  });
  it('is false with no video input', async () => {
    expect(await hasCamera(nav([{ kind: 'audioinput' }]))).toBe(false);
  });
  it('is true with a video input', async () => {
    expect(await hasCamera(nav([{ kind: 'audioinput' }, { kind: 'videoinput' }]))).toBe(true);
  });
});

describe('cameraProblem', () => {
  it('tells a refusal, a missing camera and a failure apart', () => {
    expect(cameraProblem({ name: 'NotAllowedError' })).toBe('denied');
    expect(cameraProblem({ name: 'NotFoundError' })).toBe('none');
    expect(cameraProblem({ name: 'NotReadableError' })).toBe('failed');
    expect(cameraProblem('denied')).toBe('denied');
    expect(cameraProblem(null)).toBe('failed');
  });
});
