//! An ESC/POS decoder: printer bytes back to the text a customer would read. The printer
//! simulator runs it on what it receives; tests compare its output with the receipt text.
//!
//! It is a state machine fed bytes in any chunks: [`Decoder::feed`] returns the events
//! completed so far. Commands it does not know are skipped by their documented length;
//! a byte it cannot place is counted in [`Job::unknown`], never a panic.

/// Something the printer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// DLE EOT n: the host asked for real-time status n; a printer answers one byte now.
    StatusRequest(u8),
    /// A cut: the job so far is complete.
    Cut(Job),
}

/// A printed job, decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Job {
    /// Text lines as printed.
    pub lines: Vec<String>,
    /// Data of every QR code printed.
    pub qr_codes: Vec<String>,
    /// Cash drawer kicks.
    pub drawer_kicks: usize,
    /// Lines printed bold.
    pub bold_lines: Vec<usize>,
    /// Raster images printed (width and height in dots).
    pub images: Vec<(u32, u32)>,
    /// Bytes or commands that were not understood.
    pub unknown: usize,
}

impl Job {
    /// The text, one line each, ending with a newline (as `opentill_core::receipt` renders it).
    pub fn text(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            out.push_str(line);
            out.push('\n');
        }
        out
    }
}

/// Longest printed line kept; a longer run of bytes without a newline is cut here (and
/// counted in [`Job::unknown`]), so garbage cannot grow memory without bound.
pub const MAX_LINE: usize = 4096;

/// The streaming decoder.
#[derive(Debug, Default)]
pub struct Decoder {
    pending: Vec<u8>,
    job: Job,
    line: Vec<u8>,
    chinese: bool,
    line_has_chinese: bool,
    bold: bool,
    line_bold: bool,
    qr_data: Option<String>,
}

enum Step {
    /// Consumed this many bytes.
    Took(usize),
    /// Need more bytes to finish the command.
    More,
}

impl Decoder {
    /// A decoder in the printer's power-on state.
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// Feeds received bytes; returns the events they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        self.pending.extend_from_slice(bytes);
        let mut events = Vec::new();
        let mut at = 0;
        while at < self.pending.len() {
            let rest = self.pending[at..].to_vec();
            match self.step(&rest, &mut events) {
                Step::Took(n) => at += n,
                Step::More => break,
            }
        }
        self.pending.drain(..at);
        events
    }

    /// The job received so far without a cut (a printer prints it anyway).
    pub fn finish(&mut self) -> Option<Job> {
        if !self.line.is_empty() {
            self.end_line();
        }
        let job = std::mem::take(&mut self.job);
        (!job.lines.is_empty() || !job.qr_codes.is_empty() || job.drawer_kicks > 0).then_some(job)
    }

    fn end_line(&mut self) {
        let text = if self.line_has_chinese {
            let (text, _, _) = encoding_rs::GB18030.decode(&self.line);
            text.into_owned()
        } else {
            self.line.iter().map(|&b| if b.is_ascii() { b as char } else { '?' }).collect()
        };
        if self.line_bold {
            self.job.bold_lines.push(self.job.lines.len());
        }
        self.job.lines.push(text);
        self.line.clear();
        self.line_has_chinese = false;
        self.line_bold = self.bold;
    }

    fn step(&mut self, b: &[u8], events: &mut Vec<Event>) -> Step {
        let need = |n: usize| if b.len() >= n { Step::Took(n) } else { Step::More };
        match b[0] {
            0x0a => {
                self.end_line();
                Step::Took(1)
            }
            0x0d => Step::Took(1),
            0x10 => {
                // DLE EOT n (status), DLE ENQ n, DLE DC4 ...
                if b.len() < 3 {
                    return Step::More;
                }
                match b[1] {
                    0x04 => {
                        events.push(Event::StatusRequest(b[2]));
                        Step::Took(3)
                    }
                    0x14 => need(5),
                    _ => Step::Took(3),
                }
            }
            0x1b => self.esc(b),
            0x1d => self.gs(b, events),
            0x1c => {
                if b.len() < 2 {
                    return Step::More;
                }
                match b[1] {
                    0x26 => {
                        self.chinese = true;
                        Step::Took(2)
                    }
                    0x2e => {
                        self.chinese = false;
                        Step::Took(2)
                    }
                    b'!' | b'-' | b'W' | b'C' => need(3),
                    _ => {
                        self.job.unknown += 1;
                        Step::Took(2)
                    }
                }
            }
            c if c < 0x20 => {
                self.job.unknown += 1;
                Step::Took(1)
            }
            c => {
                if self.line.is_empty() {
                    self.line_bold = self.bold;
                }
                if self.line.len() >= MAX_LINE {
                    self.job.unknown += 1;
                    self.end_line();
                }
                self.line.push(c);
                if self.chinese && c >= 0x80 {
                    self.line_has_chinese = true;
                }
                Step::Took(1)
            }
        }
    }

    fn esc(&mut self, b: &[u8]) -> Step {
        if b.len() < 2 {
            return Step::More;
        }
        let need = |n: usize| if b.len() >= n { Step::Took(n) } else { Step::More };
        match b[1] {
            b'@' => {
                self.chinese = false;
                self.bold = false;
                Step::Took(2)
            }
            b'E' => {
                if b.len() < 3 {
                    return Step::More;
                }
                self.bold = b[2] & 1 == 1;
                if self.line.is_empty() {
                    self.line_bold = self.bold;
                }
                Step::Took(3)
            }
            b'd' => {
                if b.len() < 3 {
                    return Step::More;
                }
                // Print the buffer and feed n lines: the first ends the current line.
                if !self.line.is_empty() {
                    self.end_line();
                }
                Step::Took(3)
            }
            b'p' => {
                // ESC p m t1 t2: always five bytes, as a real printer reads it.
                if b.len() < 5 {
                    return Step::More;
                }
                self.job.drawer_kicks += 1;
                Step::Took(5)
            }
            b'a' | b'-' | b'G' | b'M' | b'V' | b'{' | b'3' | b't' | b'!' | b'J' | b'R' | b'r' | b'U' | b'c' => need(3),
            b'2' | b'<' => Step::Took(2),
            b'$' | b'\\' => need(4),
            b'*' => {
                if b.len() < 5 {
                    return Step::More;
                }
                let n = usize::from(b[3]) + 256 * usize::from(b[4]);
                let bytes = if b[2] >= 32 { 3 * n } else { n };
                need(5 + bytes)
            }
            _ => {
                self.job.unknown += 1;
                Step::Took(2)
            }
        }
    }

    fn gs(&mut self, b: &[u8], events: &mut Vec<Event>) -> Step {
        if b.len() < 2 {
            return Step::More;
        }
        let need = |n: usize| if b.len() >= n { Step::Took(n) } else { Step::More };
        match b[1] {
            b'V' => {
                if b.len() < 3 {
                    return Step::More;
                }
                let len = if matches!(b[2], b'A' | b'B') { 4 } else { 3 };
                if b.len() < len {
                    return Step::More;
                }
                if !self.line.is_empty() {
                    self.end_line();
                }
                let job = std::mem::take(&mut self.job);
                events.push(Event::Cut(job));
                Step::Took(len)
            }
            b'(' => {
                if b.len() < 5 {
                    return Step::More;
                }
                let n = usize::from(b[3]) + 256 * usize::from(b[4]);
                if b.len() < 5 + n {
                    return Step::More;
                }
                let body = &b[5..5 + n];
                if b[2] == b'k' && body.len() >= 3 && body[0] == 49 {
                    match body[1] {
                        80 => self.qr_data = Some(String::from_utf8_lossy(&body[3..]).into_owned()),
                        81 => {
                            if let Some(data) = self.qr_data.take() {
                                self.job.qr_codes.push(data);
                            }
                        }
                        _ => {}
                    }
                }
                Step::Took(5 + n)
            }
            b'!' | b'B' | b'b' | b'f' | b'h' | b'w' | b'H' | b'a' | b'r' | b'I' => need(3),
            b'k' => {
                // GS k m: m < 32 is NUL-terminated data, else a length byte follows.
                if b.len() < 3 {
                    return Step::More;
                }
                if b[2] < 32 {
                    match b[3..].iter().position(|&x| x == 0) {
                        Some(end) => Step::Took(3 + end + 1),
                        None => Step::More,
                    }
                } else {
                    if b.len() < 4 {
                        return Step::More;
                    }
                    need(4 + usize::from(b[3]))
                }
            }
            b'v' => {
                if b.len() < 8 {
                    return Step::More;
                }
                let x = usize::from(b[4]) + 256 * usize::from(b[5]);
                let y = usize::from(b[6]) + 256 * usize::from(b[7]);
                if b.len() < 8 + x * y {
                    return Step::More;
                }
                self.job.images.push(((x * 8) as u32, y as u32));
                Step::Took(8 + x * y)
            }
            _ => {
                self.job.unknown += 1;
                Step::Took(2)
            }
        }
    }
}

/// Decodes a whole byte stream into its jobs (the text after the last cut counts as a job).
pub fn decode_all(bytes: &[u8]) -> Vec<Job> {
    let mut decoder = Decoder::new();
    let mut jobs: Vec<Job> = decoder.feed(bytes).into_iter().filter_map(|e| if let Event::Cut(job) = e { Some(job) } else { None }).collect();
    jobs.extend(decoder.finish());
    jobs
}
