//! Staff PINs, hashed with Argon2id.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Whether a PIN has an acceptable shape: 4 to 8 digits.
pub fn valid_pin(pin: &str) -> bool {
    (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit())
}

/// Hashes a PIN with a fresh random salt, as a PHC string.
pub fn hash_pin(pin: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default().hash_password(pin.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Checks a PIN against a stored hash.
pub fn verify_pin(pin: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| Argon2::default().verify_password(pin.as_bytes(), &hash).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_hash_and_verify() {
        let hash = hash_pin("1234").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_pin("1234", &hash));
        assert!(!verify_pin("1235", &hash));
        assert!(!verify_pin("1234", "not a hash"));
        assert_ne!(hash, hash_pin("1234").unwrap(), "salted");
        for (pin, ok) in [("1234", true), ("12345678", true), ("123", false), ("123456789", false), ("12a4", false), ("", false)] {
            assert_eq!(valid_pin(pin), ok, "{pin}");
        }
    }
}
