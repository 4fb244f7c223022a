//! Camera scanning: frames from any source decoded off the caller's thread.
//!
//! A source (a webcam through nokhwa, frames a browser posts, test frames) pushes grey
//! frames with [`FrameFeeder::offer`]; one worker thread decodes them with
//! [`crate::image_decode::decode_luma`]. A frame offered while the worker is busy replaces
//! the waiting one (the newest frame is the one worth reading), so a slow decoder never
//! builds a queue or stalls the UI, and the same code seen again within `repeat_after` is
//! reported once.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::image_decode::{Found, decode_luma};

/// A grey frame: `width * height` bytes.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Pixels, row-major, 0 black to 255 white.
    pub luma: Vec<u8>,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl Frame {
    /// A grey frame from packed RGB (what most cameras give after MJPEG decoding).
    pub fn from_rgb(rgb: &[u8], width: u32, height: u32) -> Option<Frame> {
        if rgb.len() != (width * height * 3) as usize {
            return None;
        }
        let luma = rgb.chunks_exact(3).map(|p| ((u32::from(p[0]) * 299 + u32::from(p[1]) * 587 + u32::from(p[2]) * 114) / 1000) as u8).collect();
        Some(Frame { luma, width, height })
    }
}

/// Where a camera source hands its frames.
#[derive(Clone)]
pub struct FrameFeeder {
    slot: Arc<Mutex<Option<Frame>>>,
    wake: SyncSender<()>,
}

impl FrameFeeder {
    /// Offers a frame; never blocks. Returns false once the decoder has stopped.
    pub fn offer(&self, frame: Frame) -> bool {
        *self.slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(frame);
        !matches!(self.wake.try_send(()), Err(TrySendError::Disconnected(_)))
    }
}

/// Starts the decoder thread. Codes arrive on the returned receiver; dropping every
/// [`FrameFeeder`] stops the thread.
pub fn start_decoder(repeat_after: Duration) -> (FrameFeeder, Receiver<Found>) {
    let (wake, woken) = sync_channel::<()>(1);
    let (found_tx, found_rx) = std::sync::mpsc::channel();
    let slot: Arc<Mutex<Option<Frame>>> = Arc::default();
    let taken = slot.clone();
    std::thread::Builder::new()
        .name("opentill-camera-decode".into())
        .spawn(move || {
            let mut last: Option<(String, Instant)> = None;
            while woken.recv().is_ok() {
                let Some(frame) = taken.lock().unwrap_or_else(|p| p.into_inner()).take() else { continue };
                for code in decode_luma(frame.luma, frame.width, frame.height) {
                    let repeat = last.as_ref().is_some_and(|(text, at)| *text == code.text && at.elapsed() < repeat_after);
                    if repeat {
                        continue;
                    }
                    last = Some((code.text.clone(), Instant::now()));
                    if found_tx.send(code).is_err() {
                        return;
                    }
                }
            }
        })
        .expect("spawn the camera decoder thread");
    (FrameFeeder { slot, wake }, found_rx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image_decode::render;

    #[test]
    fn frames_are_decoded_off_thread_once_per_code() {
        let (feeder, found) = start_decoder(Duration::from_secs(2));
        let (luma, w, h) = render(rxing::BarcodeFormat::QR_CODE, "M1001:pass", 240, 240).unwrap();
        let frame = Frame { luma, width: w, height: h };
        let offered = Instant::now();
        for _ in 0..30 {
            assert!(feeder.offer(frame.clone()));
        }
        assert!(offered.elapsed() < Duration::from_millis(200), "offering never waits for the decoder");
        let code = found.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(code.text, "M1001:pass");
        assert!(found.recv_timeout(Duration::from_millis(500)).is_err(), "the same code is reported once");
        let (luma, w, h) = render(rxing::BarcodeFormat::EAN_13, "6901234567892", 400, 160).unwrap();
        // The same picture through RGB, as a webcam delivers it.
        let rgb: Vec<u8> = luma.iter().flat_map(|v| [*v, *v, *v]).collect();
        feeder.offer(Frame::from_rgb(&rgb, w, h).unwrap());
        assert_eq!(found.recv_timeout(Duration::from_secs(5)).unwrap().text, "6901234567892");
        assert!(Frame::from_rgb(&[0; 5], 2, 2).is_none());
        drop(feeder);
    }
}

/// Feeds a webcam's frames (V4L2 through nokhwa) to a decoder until `stop` is set or the
/// decoder goes away. Built with the `camera` feature.
#[cfg(feature = "camera")]
pub fn run_webcam(index: u32, feeder: FrameFeeder, stop: Arc<std::sync::atomic::AtomicBool>) -> Result<(), String> {
    use nokhwa::Camera;
    use nokhwa::pixel_format::LumaFormat;
    use nokhwa::utils::{CameraIndex, RequestedFormat, RequestedFormatType};
    let format = RequestedFormat::new::<LumaFormat>(RequestedFormatType::AbsoluteHighestFrameRate);
    let mut camera = Camera::new(CameraIndex::Index(index), format).map_err(|e| format!("camera {index}: {e}"))?;
    camera.open_stream().map_err(|e| format!("camera {index}: {e}"))?;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let buffer = camera.frame().map_err(|e| format!("camera {index}: {e}"))?;
        let resolution = buffer.resolution();
        let (width, height) = (resolution.width(), resolution.height());
        let mut luma = vec![0u8; (width * height) as usize];
        buffer.decode_image_to_buffer::<LumaFormat>(&mut luma).map_err(|e| format!("camera {index}: {e}"))?;
        if !feeder.offer(Frame { luma, width, height }) {
            break;
        }
    }
    let _ = camera.stop_stream();
    Ok(())
}
