//! TOTP codes by RFC 6238 (HMAC-SHA1), with randomness from UUIDs.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use uuid::Uuid;

use crate::error::Result;
use crate::second_factor::{DIGITS, OneTimeCodes, RecoveryCode, TotpSecret};

/// [`OneTimeCodes`] computed here: RFC 6238 TOTP with HMAC-SHA1 and six
/// digits; secrets and recovery codes from random (v4) UUIDs' bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct HmacOneTimeCodes;

/// 32 bytes of which 30 are random: two v4 UUIDs.
fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(Uuid::new_v4().as_bytes());
    bytes
}

impl OneTimeCodes for HmacOneTimeCodes {
    fn new_secret(&self) -> Result<TotpSecret> {
        // The first 20 bytes hold 154 random bits (a v4 UUID fixes 6).
        Ok(TotpSecret::from_bytes(&random_bytes()[..20]))
    }

    fn code(&self, secret: &TotpSecret, step: i64) -> String {
        let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(&secret.bytes()) else {
            return String::new();
        };
        mac.update(&step.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        // Dynamic truncation (RFC 4226, section 5.3).
        let offset = usize::from(digest[19] & 0x0f);
        let binary = u32::from_be_bytes([
            digest[offset] & 0x7f,
            digest[offset + 1],
            digest[offset + 2],
            digest[offset + 3],
        ]);
        format!("{:0width$}", binary % 1_000_000, width = DIGITS)
    }

    fn recovery_code(&self) -> Result<RecoveryCode> {
        let bytes = random_bytes();
        let mut code = [0u8; 13];
        // Skip the version and variant bytes of the first UUID.
        code.copy_from_slice(&bytes[..13]);
        code[6] = bytes[14];
        code[8] = bytes[15];
        Ok(RecoveryCode::from_bytes(&code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 vectors, last six of their eight
    /// digits (the seed is the ASCII digits 1234567890 twice).
    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890");
        let vectors = [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ];
        for (unix, code) in vectors {
            assert_eq!(HmacOneTimeCodes.code(&secret, unix / 30), code, "at {unix}");
        }
    }

    #[test]
    fn secrets_and_recovery_codes_are_random() {
        let first = HmacOneTimeCodes.new_secret().expect("random");
        let second = HmacOneTimeCodes.new_secret().expect("random");
        assert_ne!(first, second);
        assert_eq!(first.bytes().len(), 20);
        let code = HmacOneTimeCodes.recovery_code().expect("random");
        assert_ne!(code, HmacOneTimeCodes.recovery_code().expect("random"));
        assert_eq!(RecoveryCode::parse(&code.display()), Ok(code));
    }
}
