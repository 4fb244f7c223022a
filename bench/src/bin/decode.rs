//! `opentill-bench-decode`: reading barcodes in pictures. Generates a corpus of QR and
//! EAN-13 images (100 px to 1080 px, some rotated, some noisy), then decodes every one with
//! OpenTill's decoder (rxing), with rqrr (QR only) and with Debian's `zbarimg`, in the
//! same run, and reports decode rate and time per image.
//!
//! ```text
//! scripts/bench-setup.sh        # installs zbar-tools when missing
//! cargo run --release -p opentill-bench --bin opentill-bench-decode -- [--images 240] [--out target/bench/decode.json]
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::Context;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

struct Sample {
    path: PathBuf,
    qr: bool,
    text: String,
    size: u32,
    rotated: bool,
    noisy: bool,
}

fn ean13(n: u64) -> String {
    let body = format!("69{:010}", n);
    let sum: u32 = body.bytes().rev().enumerate().map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 }).sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

fn corpus(dir: &Path, n: usize) -> anyhow::Result<Vec<Sample>> {
    let mut rng = StdRng::seed_from_u64(2026);
    let sizes = [100u32, 160, 240, 320, 480, 720, 1080];
    let mut samples = Vec::new();
    for i in 0..n {
        let qr = i % 2 == 0;
        let size = sizes[i % sizes.len()];
        let text = if qr { format!("{:032x}", rng.r#gen::<u128>()) } else { ean13(rng.gen_range(0..10_000_000_000)) };
        let (w, h) = if qr { (size, size) } else { (size, (size / 3).max(40)) };
        let format = if qr { rxing::BarcodeFormat::QR_CODE } else { rxing::BarcodeFormat::EAN_13 };
        let (luma, mw, mh) = opentill_hardware::image_decode::render(format, &text, w, h).context("render")?;
        let mut picture = image::GrayImage::from_raw(mw, mh, luma).context("frame")?;
        // A white margin, as on paper.
        let mut framed = image::GrayImage::from_pixel(mw + 40, mh + 40, image::Luma([255]));
        image::imageops::overlay(&mut framed, &picture, 20, 20);
        picture = framed;
        let rotated = i % 4 == 1 || i % 4 == 2;
        if i % 4 == 1 {
            picture = image::imageops::rotate90(&picture);
        } else if i % 4 == 2 {
            picture = image::imageops::rotate180(&picture);
        }
        let noisy = i % 5 == 0;
        if noisy {
            for pixel in picture.pixels_mut() {
                let roll: f64 = rng.r#gen();
                if roll < 0.01 {
                    pixel.0[0] = 0;
                } else if roll < 0.02 {
                    pixel.0[0] = 255;
                } else {
                    pixel.0[0] = pixel.0[0].saturating_add(rng.gen_range(0..40)).saturating_sub(20);
                }
            }
        }
        let path = dir.join(format!("{i:03}-{}-{size}.png", if qr { "qr" } else { "ean13" }));
        picture.save(&path)?;
        samples.push(Sample { path, qr, text, size, rotated, noisy });
    }
    Ok(samples)
}

struct Outcome {
    name: &'static str,
    ok: Vec<bool>,
    seconds: f64,
}

fn main() -> anyhow::Result<()> {
    let mut n = 240usize;
    let mut out = PathBuf::from("target/bench/decode.json");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--images" => n = args.next().context("--images N")?.parse()?,
            "--out" => out = args.next().context("--out FILE")?.into(),
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    let dir = tempfile::tempdir()?;
    eprintln!("generating {n} images ...");
    let samples = corpus(dir.path(), n)?;

    let start = Instant::now();
    let ours: Vec<bool> = samples
        .iter()
        .map(|s| opentill_hardware::image_decode::decode_file(&s.path).map(|found| found.iter().any(|f| f.text == s.text)).unwrap_or(false))
        .collect();
    let ours = Outcome { name: "OpenTill (rxing)", ok: ours, seconds: start.elapsed().as_secs_f64() };

    let start = Instant::now();
    let rqrr_ok: Vec<bool> = samples
        .iter()
        .map(|s| {
            let Ok(picture) = image::open(&s.path) else { return false };
            let picture = picture.to_luma8();
            let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(picture.width() as usize, picture.height() as usize, |x, y| picture.get_pixel(x as u32, y as u32).0[0]);
            prepared.detect_grids().iter().any(|g| g.decode().is_ok_and(|(_, text)| text == s.text))
        })
        .collect();
    let rqrr = Outcome { name: "rqrr (QR only)", ok: rqrr_ok, seconds: start.elapsed().as_secs_f64() };

    let mut outcomes = vec![ours, rqrr];
    let zbar = Command::new("zbarimg").arg("--version").output();
    if zbar.is_ok_and(|o| o.status.success()) {
        let start = Instant::now();
        let output = Command::new("zbarimg").args(["--nodbus", "--xml", "-q"]).args(samples.iter().map(|s| &s.path)).output()?;
        let seconds = start.elapsed().as_secs_f64();
        let xml = String::from_utf8_lossy(&output.stdout);
        // <source href='FILE'> ... <data><![CDATA[TEXT]]></data> ... </source>
        let ok = samples
            .iter()
            .map(|s| {
                let href = format!("href='{}'", s.path.display());
                xml.split("<source ").find(|part| part.starts_with(&href)).is_some_and(|part| part.contains(&format!("<![CDATA[{}]]>", s.text)))
            })
            .collect();
        outcomes.push(Outcome { name: "zbarimg (Debian zbar-tools)", ok, seconds });
    } else {
        eprintln!("zbarimg not found: run scripts/bench-setup.sh for the baseline");
    }

    println!("Barcode images: {n} ({} QR, {} EAN-13; 100 to 1080 px; {} rotated, {} noisy)", samples.iter().filter(|s| s.qr).count(), samples.iter().filter(|s| !s.qr).count(), samples.iter().filter(|s| s.rotated).count(), samples.iter().filter(|s| s.noisy).count());
    println!("{:<30} {:>10} {:>10} {:>10} {:>12}", "decoder", "all", "QR", "EAN-13", "ms / image");
    let mut json = Vec::new();
    for o in &outcomes {
        let rate = |f: &dyn Fn(&Sample) -> bool| {
            let (hit, total) = samples.iter().zip(&o.ok).filter(|(s, _)| f(s)).fold((0, 0), |(h, t), (_, ok)| (h + usize::from(*ok), t + 1));
            (hit, total)
        };
        let (all, qr, ean) = (rate(&|_| true), rate(&|s| s.qr), rate(&|s| !s.qr));
        let ms = o.seconds * 1e3 / n as f64;
        println!("{:<30} {:>10} {:>10} {:>10} {:>12.2}", o.name, format!("{}/{}", all.0, all.1), format!("{}/{}", qr.0, qr.1), format!("{}/{}", ean.0, ean.1), ms);
        let small_misses: Vec<u32> = samples.iter().zip(&o.ok).filter(|(_, ok)| !**ok).map(|(s, _)| s.size).collect();
        json.push(serde_json::json!({"decoder": o.name, "decoded": all.0, "total": all.1, "qr_decoded": qr.0, "ean13_decoded": ean.0, "ms_per_image": ms, "missed_sizes": small_misses}));
    }
    if outcomes.len() == 3 {
        println!("\nOpenTill vs zbarimg: decode rate {:.3}x, time per image {:.2}x (below 1 is faster)", outcomes[0].ok.iter().filter(|x| **x).count() as f64 / outcomes[2].ok.iter().filter(|x| **x).count().max(1) as f64, outcomes[0].seconds / outcomes[2].seconds);
    }
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&out, serde_json::to_string_pretty(&serde_json::json!({"images": n, "results": json}))?)?;
    println!("wrote {}", out.display());
    Ok(())
}
