//! TOTP codes by the totp-rs crate (RFC 6238: HMAC-SHA1, six digits,
//! 30-second steps); secrets and recovery codes from the operating
//! system's random source.

use taskpulse_domain::second_factor::{DIGITS, OneTimeCodes, RecoveryCode, STEP_SECS, TotpSecret};
use taskpulse_domain::{Error, Result};
use totp_rs::{Algorithm, TOTP};

/// [`OneTimeCodes`] for authenticator apps.
#[derive(Debug, Clone, Copy, Default)]
pub struct TotpCodes;

impl OneTimeCodes for TotpCodes {
    fn new_secret(&self) -> Result<TotpSecret> {
        let mut bytes = [0u8; 20];
        getrandom::fill(&mut bytes).map_err(|err| Error::internal(err.to_string()))?;
        Ok(TotpSecret::from_bytes(&bytes))
    }

    fn code(&self, secret: &TotpSecret, step: i64) -> String {
        // One step's code, no skew: the domain decides which steps count.
        let totp = TOTP::new_unchecked(
            Algorithm::SHA1,
            DIGITS,
            0,
            STEP_SECS.unsigned_abs(),
            secret.bytes(),
        );
        let at = u64::try_from(step.saturating_mul(STEP_SECS)).unwrap_or(0);
        totp.generate(at)
    }

    fn recovery_code(&self) -> Result<RecoveryCode> {
        let mut bytes = [0u8; 13];
        getrandom::fill(&mut bytes).map_err(|err| Error::internal(err.to_string()))?;
        Ok(RecoveryCode::from_bytes(&bytes))
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
            assert_eq!(TotpCodes.code(&secret, unix / 30), code, "at {unix}");
        }
    }

    #[test]
    fn secrets_and_recovery_codes_are_random() {
        let secret = TotpCodes.new_secret().expect("random");
        assert_ne!(secret, TotpCodes.new_secret().expect("random"));
        assert_eq!(secret.bytes().len(), 20);
        let code = TotpCodes.recovery_code().expect("random");
        assert_ne!(code, TotpCodes.recovery_code().expect("random"));
        assert_eq!(RecoveryCode::parse(&code.display()), Ok(code));
    }
}
