//! Secrets kept at rest sealed under a key derived from a configured one
//! (TOTP secrets, issue #25): XChaCha20-Poly1305, its nonce synthetic (an
//! HMAC of the row's context and the plaintext, as in SIV modes), so that
//! one plaintext of one row always seals to one value and storage can
//! still compare sealed values. The context (the owner's id) is the
//! associated data: a value moved to another row does not open.
//!
//! Keys rotate: a [`Sealer`] seals under its current key and opens values
//! of its earlier ones too. A value names its key (`v2:<key id>:…`), so
//! that storage can find the values not sealed under the current key and
//! seal them again. A sealer with one key and nothing to rotate writes the
//! older format (`v1:…`, no key id), which every earlier version reads.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use taskpulse_domain::{Error, Result};

/// What a value sealed without a key id starts with; a value without a
/// prefix is from before sealing.
const UNLABELLED: &str = "v1:";
/// What a value that names its key starts with, before the key id.
const LABELLED: &str = "v2:";
/// XChaCha20's nonce length.
const NONCE_LEN: usize = 24;

/// One key's cipher and nonce key, derived from configured key material.
#[derive(Clone)]
struct Key {
    /// Hex of 8 bytes derived from the key: names it in sealed values
    /// without revealing it.
    id: String,
    cipher: XChaCha20Poly1305,
    nonce_key: Hmac<Sha256>,
}

impl Key {
    /// The key for the secrets named `purpose`, derived from `material`.
    fn derive(material: &[u8], purpose: &str) -> Self {
        let keys = Hkdf::<Sha256>::new(None, material);
        let expand = |label: &str, out: &mut [u8]| {
            keys.expand(format!("taskpulse {purpose} {label}").as_bytes(), out)
                .expect("at most 32 bytes is a valid HKDF-SHA256 output length");
        };
        let (mut cipher_key, mut nonce_key, mut id) = ([0u8; 32], [0u8; 32], [0u8; 8]);
        expand("cipher", &mut cipher_key);
        expand("nonce", &mut nonce_key);
        expand("key id", &mut id);
        Self {
            id: id.iter().map(|b| format!("{b:02x}")).collect(),
            cipher: XChaCha20Poly1305::new(&cipher_key.into()),
            nonce_key: <Hmac<Sha256> as Mac>::new_from_slice(&nonce_key)
                .expect("HMAC takes keys of any length"),
        }
    }

    /// `plaintext` sealed for `context`: the nonce, then the ciphertext.
    fn seal(&self, context: &[u8], plaintext: &str) -> Result<Vec<u8>> {
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
        Ok(bytes)
    }

    /// The plaintext of `bytes` (nonce and ciphertext), if this key sealed
    /// it for `context`.
    fn open(&self, context: &[u8], bytes: &[u8]) -> Option<String> {
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let payload = Payload {
            msg: sealed,
            aad: context,
        };
        let plain = self.cipher.decrypt(&nonce_of(nonce), payload).ok()?;
        String::from_utf8(plain).ok()
    }
}

/// Seals and opens one kind of secret.
#[derive(Clone)]
pub struct Sealer {
    /// The current key first; it alone seals.
    keys: Vec<Key>,
    /// Whether sealed values name their key (`v2:`) rather than not (`v1:`).
    labelled: bool,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer").finish_non_exhaustive()
    }
}

impl Sealer {
    /// A sealer of the secrets named `purpose` under a key derived from
    /// `secret` alone, writing values without a key id.
    pub fn new(secret: &[u8], purpose: &str) -> Self {
        Self {
            keys: vec![Key::derive(secret, purpose)],
            labelled: false,
        }
    }

    /// A sealer of the secrets named `purpose` that seals under a key
    /// derived from `current` and opens values sealed under `earlier` keys
    /// too; its values name their key.
    pub fn rotating(current: &[u8], earlier: &[&[u8]], purpose: &str) -> Self {
        let keys = std::iter::once(current)
            .chain(earlier.iter().copied())
            .map(|material| Key::derive(material, purpose))
            .collect();
        Self {
            keys,
            labelled: true,
        }
    }

    /// The current key, which seals.
    fn current(&self) -> &Key {
        &self.keys[0]
    }

    /// What every value sealed under the current key starts with.
    pub fn current_prefix(&self) -> String {
        if self.labelled {
            format!("{LABELLED}{}:", self.current().id)
        } else {
            UNLABELLED.to_owned()
        }
    }

    /// `plaintext` sealed for the row of `context` under the current key.
    ///
    /// # Errors
    /// [`Error::Internal`] when the cipher refuses (it does only for inputs
    /// of gigabytes).
    pub fn seal(&self, context: &[u8], plaintext: &str) -> Result<String> {
        let bytes = self.current().seal(context, plaintext)?;
        Ok(format!(
            "{}{}",
            self.current_prefix(),
            URL_SAFE_NO_PAD.encode(&bytes)
        ))
    }

    /// The plaintext of `stored`, sealed for the row of `context` under
    /// any key of this sealer; a value from before sealing is answered as
    /// it is.
    ///
    /// # Errors
    /// [`Error::Internal`] when `stored` is not a value sealed by a key of
    /// this sealer for `context` (a key no longer configured, another row,
    /// tampering).
    pub fn open(&self, context: &[u8], stored: &str) -> Result<String> {
        let refused = || Error::internal("a sealed secret does not open under any configured key");
        let (keys, encoded): (Vec<&Key>, &str) = if let Some(rest) = stored.strip_prefix(LABELLED) {
            let (id, encoded) = rest.split_once(':').ok_or_else(refused)?;
            (
                self.keys.iter().filter(|key| key.id == id).collect(),
                encoded,
            )
        } else if let Some(encoded) = stored.strip_prefix(UNLABELLED) {
            (self.keys.iter().collect(), encoded)
        } else {
            return Ok(stored.to_owned());
        };
        let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| refused())?;
        keys.into_iter()
            .find_map(|key| key.open(context, &bytes))
            .ok_or_else(refused)
    }

    /// Whether `stored` is sealed (rather than from before sealing).
    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(UNLABELLED) || stored.starts_with(LABELLED)
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

    #[test]
    fn a_rotated_sealer_seals_under_its_new_key_and_still_opens_the_old_ones() {
        let (old, new) = (
            b"the old sealing key of some length",
            b"the new sealing key of some length",
        );
        let before = Sealer::rotating(old, &[], "totp");
        let under_old = before.seal(b"row-1", "JBSWY3DPEHPK3PXP").expect("sealed");
        let unlabelled = sealer().seal(b"row-1", "JBSWY3DPEHPK3PXP").expect("sealed");
        let after = Sealer::rotating(new, &[old, b"a server secret of some length"], "totp");
        let under_new = after.seal(b"row-1", "JBSWY3DPEHPK3PXP").expect("sealed");
        let without_old = Sealer::rotating(new, &[], "totp");

        assert!(under_old.starts_with(&before.current_prefix()));
        assert!(under_new.starts_with(&after.current_prefix()));
        assert_ne!(before.current_prefix(), after.current_prefix());
        assert!(after.current_prefix().starts_with("v2:"));
        assert_eq!(sealer().current_prefix(), "v1:");
        for stored in [&under_old, &unlabelled, &under_new] {
            assert!(Sealer::is_sealed(stored));
            assert_eq!(
                after.open(b"row-1", stored).expect("opens"),
                "JBSWY3DPEHPK3PXP"
            );
        }
        assert!(before.open(b"row-1", &under_new).is_err(), "a newer key");
        assert!(
            without_old.open(b"row-1", &under_old).is_err(),
            "an old key dropped"
        );
        assert!(
            without_old.open(b"row-1", &unlabelled).is_err(),
            "an old key dropped"
        );
        assert!(after.open(b"row-2", &under_old).is_err(), "another row");
    }

    #[test]
    fn a_value_naming_another_key_does_not_open_even_when_its_key_is_known() {
        let (one, two) = (
            b"the first sealing key of some length",
            b"the other sealing key of some length",
        );
        let sealer = Sealer::rotating(one, &[two], "totp");
        let sealed = Sealer::rotating(two, &[], "totp")
            .seal(b"row-1", "JBSWY3DPEHPK3PXP")
            .expect("sealed");
        let relabelled = sealed.replacen(
            &Sealer::rotating(two, &[], "totp").current_prefix(),
            &sealer.current_prefix(),
            1,
        );

        assert_eq!(
            sealer.open(b"row-1", &sealed).expect("opens"),
            "JBSWY3DPEHPK3PXP"
        );
        assert!(sealer.open(b"row-1", &relabelled).is_err());
        assert!(sealer.open(b"row-1", "v2:").is_err());
        assert!(sealer.open(b"row-1", "v2:0123456789abcdef:!!").is_err());
    }
}
