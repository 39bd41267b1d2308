//! The system adapters against the `order-ports` contracts of their ports.

use adapters_system::{AesGcmCipher, CipherKey, RandomIds, SystemClock};

#[test]
fn aes_gcm_cipher_keeps_the_field_cipher_contract() {
    let cipher = |byte| AesGcmCipher::new(&CipherKey::from_bytes([byte; 32]));
    order_ports::testkit::cipher::field_cipher_contract(&cipher(1), &cipher(2));
}

#[test]
fn random_ids_keep_the_id_generator_contract() {
    order_ports::testkit::system::id_generator_contract(&RandomIds);
}

#[test]
fn the_system_clock_keeps_the_clock_contract() {
    order_ports::testkit::system::clock_contract(&SystemClock);
}
