//! Secrets kept at rest sealed under a key derived from the server secret
//! (TOTP secrets, issue #25): XChaCha20-Poly1305, its nonce synthetic (an
//! HMAC of the row's context and the plaintext, as in SIV modes), so that
//! one plaintext of one row always seals to one value and storage can
//! still compare sealed values. The context (the owner's id) is the
//! associated data: a value moved to another row does not open.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use taskpulse_domain::{Error, Result};

/// What a sealed value starts with; a value without it is from before
/// sealing.
const PREFIX: &str = "v1:";
/// XChaCha20's nonce length.
const NONCE_LEN: usize = 24;

/// Seals and opens one kind of secret.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
    nonce_key: Hmac<Sha256>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer").finish_non_exhaustive()
    }
}

impl Sealer {
    /// A sealer of the secrets named `purpose`, keyed from `secret`.
    pub fn new(secret: &[u8], purpose: &str) -> Self {
        let keys = Hkdf::<Sha256>::new(None, secret);
        let mut cipher_key = [0u8; 32];
        let mut nonce_key = [0u8; 32];
        keys.expand(
            format!("taskpulse {purpose} cipher").as_bytes(),
            &mut cipher_key,
        )
        .expect("32 bytes is a valid HKDF-SHA256 output length");
        keys.expand(
            format!("taskpulse {purpose} nonce").as_bytes(),
            &mut nonce_key,
        )
        .expect("32 bytes is a valid HKDF-SHA256 output length");
        Self {
            cipher: XChaCha20Poly1305::new(&cipher_key.into()),
            nonce_key: <Hmac<Sha256> as Mac>::new_from_slice(&nonce_key)
                .expect("HMAC takes keys of any length"),
        }
    }

    /// `plaintext` sealed for the row of `context`.
    ///
    /// # Errors
    /// [`Error::Internal`] when the cipher refuses (it does only for inputs
    /// of gigabytes).
    pub fn seal(&self, context: &[u8], plaintext: &str) -> Result<String> {
        let mut mac = self.nonce_key.clone();
        mac.update(
            &u64::try_from(context.len())
                .unwrap_or(u64::MAX)
                .to_be_bytes(),
        );
        mac.update(context);
        mac.update(plaintext.as_bytes());
        let digest = mac.finalize().into_bytes();
        let nonce = nonce_of(&digest[..NONCE_LEN]);
        let payload = Payload {
            msg: plaintext.as_bytes(),
            aad: context,
        };
        let sealed = self
            .cipher
            .encrypt(&nonce, payload)
            .map_err(|_| Error::internal("sealing failed"))?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(&bytes)))
    }

    /// The plaintext of `stored`, sealed for the row of `context`; a value
    /// from before sealing is answered as it is.
    ///
    /// # Errors
    /// [`Error::Internal`] when `stored` is not a value this sealer sealed
    /// for `context` (another server secret, another row, tampering).
    pub fn open(&self, context: &[u8], stored: &str) -> Result<String> {
        let Some(encoded) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_owned());
        };
        let refused = || Error::internal("a sealed secret does not open under this server secret");
        let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| refused())?;
        if bytes.len() < NONCE_LEN {
            return Err(refused());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let payload = Payload {
            msg: sealed,
            aad: context,
        };
        let plain = self
            .cipher
            .decrypt(&nonce_of(nonce), payload)
            .map_err(|_| refused())?;
        String::from_utf8(plain).map_err(|_| refused())
    }

    /// Whether `stored` is sealed (rather than from before sealing).
    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(PREFIX)
    }
}

/// The nonce of these [`NONCE_LEN`] bytes.
fn nonce_of(bytes: &[u8]) -> XNonce {
    let mut nonce = XNonce::default();
    nonce.copy_from_slice(bytes);
    nonce
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer() -> Sealer {
        Sealer::new(b"a server secret of some length", "totp")
    }

    #[test]
    fn a_sealed_value_opens_for_its_row_only_and_hides_the_plaintext() {
        let sealed = sealer().seal(b"row-1", "JBSWY3DPEHPK3PXP").expect("sealed");

        assert!(Sealer::is_sealed(&sealed));
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(
            sealer().open(b"row-1", &sealed).expect("opens"),
            "JBSWY3DPEHPK3PXP"
        );
        assert!(sealer().open(b"row-2", &sealed).is_err(), "another row");
        let other = Sealer::new(b"another server secret", "totp");
        assert!(other.open(b"row-1", &sealed).is_err(), "another secret");
        let purpose = Sealer::new(b"a server secret of some length", "other");
        assert!(purpose.open(b"row-1", &sealed).is_err(), "another purpose");
    }

    #[test]
    fn sealing_is_deterministic_per_row_and_plaintext() {
        let sealer = sealer();
        let once = sealer.seal(b"row-1", "JBSWY3DPEHPK3PXP").expect("sealed");
        let again = sealer.seal(b"row-1", "JBSWY3DPEHPK3PXP").expect("sealed");
        let other_row = sealer.seal(b"row-2", "JBSWY3DPEHPK3PXP").expect("sealed");
        let other_text = sealer.seal(b"row-1", "KRSXG5CTMVRXEZLU").expect("sealed");

        assert_eq!(once, again);
        assert_ne!(once, other_row);
        assert_ne!(once, other_text);
    }

    #[test]
    fn a_tampered_value_does_not_open_and_a_legacy_one_is_answered_as_it_is() {
        let sealer = sealer();
        let sealed = sealer.seal(b"row-1", "JBSWY3DPEHPK3PXP").expect("sealed");
        let mut tampered = sealed.into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).expect("ascii");

        assert!(sealer.open(b"row-1", &tampered).is_err());
        assert!(sealer.open(b"row-1", "v1:").is_err());
        assert!(sealer.open(b"row-1", "v1:!!").is_err());
        assert_eq!(
            sealer.open(b"row-1", "JBSWY3DPEHPK3PXP").expect("legacy"),
            "JBSWY3DPEHPK3PXP"
        );
    }
}
