//! A tiny SMTP server on loopback that keeps every message it receives,
//! so tests can read the emails the server sends over real SMTP.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A received message: its recipients and its raw data.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub to: Vec<String>,
    pub data: String,
}

/// The sink shared by the tests of one test binary.
pub struct SmtpSink {
    pub port: u16,
    inbox: Arc<Mutex<Vec<Delivered>>>,
}

/// The sink, started on first use.
pub fn smtp_sink() -> &'static SmtpSink {
    static SINK: OnceLock<SmtpSink> = OnceLock::new();
    SINK.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("sink binds");
        let port = listener.local_addr().expect("bound").port();
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let shared = inbox.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let inbox = shared.clone();
                std::thread::spawn(move || {
                    let _ = converse(stream, &inbox);
                });
            }
        });
        SmtpSink { port, inbox }
    })
}

fn converse(stream: TcpStream, inbox: &Mutex<Vec<Delivered>>) -> std::io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    writer.write_all(b"220 sink ESMTP\r\n")?;
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        if command.starts_with("EHLO") {
            writer.write_all(b"250-sink\r\n250 8BITMIME\r\n")?;
        } else if command.starts_with("RCPT TO:") {
            let address = line.trim_end()[8..]
                .trim()
                .trim_matches(['<', '>'])
                .to_ascii_lowercase();
            to.push(address);
            writer.write_all(b"250 OK\r\n")?;
        } else if command == "DATA" {
            writer.write_all(b"354 go ahead\r\n")?;
            let mut data = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 || line == ".\r\n" {
                    break;
                }
                data.push_str(&line);
            }
            inbox.lock().expect("inbox").push(Delivered {
                to: std::mem::take(&mut to),
                data,
            });
            writer.write_all(b"250 queued\r\n")?;
        } else if command == "QUIT" {
            writer.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            writer.write_all(b"250 OK\r\n")?;
        }
    }
}

/// The start of the reset link in the test servers' reset mail.
pub const RESET_LINK: &str = "https://app.example/reset?token=";
/// The start of the link in the test servers' verification mail.
pub const VERIFY_LINK: &str = "https://app.example/verify?token=";

impl SmtpSink {
    /// The messages received for `address` so far whose decoded text holds
    /// `text`.
    pub fn messages_to_with(&self, address: &str, text: &str) -> Vec<Delivered> {
        let inbox = self.inbox.lock().expect("inbox");
        inbox
            .iter()
            .filter(|m| m.to.iter().any(|t| t == &address.to_ascii_lowercase()))
            .filter(|m| m.decoded().contains(text))
            .cloned()
            .collect()
    }

    /// The first message for `address` whose decoded text holds `text`,
    /// waiting up to five seconds.
    pub async fn wait_for_one_with(&self, address: &str, text: &str) -> Delivered {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(message) = self.messages_to_with(address, text).into_iter().next() {
                return message;
            }
            assert!(
                Instant::now() < deadline,
                "no email for {address} within 5 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Delivered {
    /// The message with quoted-printable soft breaks and `=3D` undone.
    pub fn decoded(&self) -> String {
        self.data.replace("=\r\n", "").replace("=3D", "=")
    }

    /// The reset token in the link [`RESET_LINK`]`…`.
    pub fn reset_token(&self) -> String {
        self.token_after(RESET_LINK)
    }

    /// The verification token in the link [`VERIFY_LINK`]`…`.
    pub fn verify_token(&self) -> String {
        self.token_after(VERIFY_LINK)
    }

    fn token_after(&self, link: &str) -> String {
        let text = self.decoded();
        let start = text.find(link).expect("the link") + link.len();
        text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }
}
