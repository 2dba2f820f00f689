//! Cryptocurrency addresses, accepted only with a valid checksum: Bitcoin (Base58Check
//! and Bech32/Bech32m), Monero (Keccak-checked Base58) and Ethereum (EIP-55 when the
//! case is mixed).

use sha2::{Digest, Sha256};
use sha3::Keccak256;

const B58: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

fn b58_digit(c: u8) -> Option<u8> {
    B58.iter().position(|&d| d == c).map(|i| i as u8)
}

/// Decodes Bitcoin-style Base58 into exactly `N` bytes.
fn b58_decode<const N: usize>(s: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    for c in s.bytes() {
        let mut carry = u32::from(b58_digit(c)?);
        for byte in out.iter_mut().rev() {
            carry += u32::from(*byte) * 58;
            *byte = (carry & 0xff) as u8;
            carry >>= 8;
        }
        if carry != 0 {
            return None;
        }
    }
    // Leading '1's encode leading zero bytes; the count must agree.
    let ones = s.bytes().take_while(|&c| c == b'1').count();
    let zeros = out.iter().take_while(|&&b| b == 0).count();
    (ones == zeros.min(N)).then_some(out)
}

/// A legacy (P2PKH `1…`, P2SH `3…`) or SegWit (`bc1…`) Bitcoin address.
pub(crate) fn btc(s: &str) -> bool {
    if s.len() >= 14 && s.as_bytes()[..3].eq_ignore_ascii_case(b"bc1") {
        return bech32(s);
    }
    if !(26..=35).contains(&s.len()) || !matches!(s.as_bytes()[0], b'1' | b'3') {
        return false;
    }
    let Some(raw) = b58_decode::<25>(s) else {
        return false;
    };
    if !matches!(raw[0], 0x00 | 0x05) {
        return false;
    }
    let check = Sha256::digest(Sha256::digest(&raw[..21]));
    check[..4] == raw[21..]
}

const BECH32: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn polymod(values: impl Iterator<Item = u8>) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

/// A mainnet SegWit address: one case, `bc1`, a valid Bech32 (v0) or Bech32m (v1+)
/// checksum, and a witness program of a valid length.
fn bech32(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    if (s != lower && s != s.to_ascii_uppercase()) || !(42..=62).contains(&s.len()) {
        return false;
    }
    let data: Option<Vec<u8>> = lower
        .bytes()
        .skip(3)
        .map(|c| BECH32.iter().position(|&d| d == c).map(|i| i as u8))
        .collect();
    let Some(data) = data else { return false };
    if data.len() < 7 {
        return false;
    }
    let hrp = [3u8, 3, 0, 2, 3]; // "bc" expanded: high bits, 0, low bits
    let chk = polymod(hrp.into_iter().chain(data.iter().copied()));
    let version = data[0];
    let want = if version == 0 { 1 } else { 0x2bc8_30a3 };
    if chk != want || version > 16 {
        return false;
    }
    let prog_bits = (data.len() - 7) * 5;
    let prog_len = prog_bits / 8;
    (2..=40).contains(&prog_len) && (version != 0 || prog_len == 20 || prog_len == 32)
}

/// A Monero standard (`4…`, 95 chars), subaddress (`8…`) or integrated (106 chars)
/// address whose Keccak checksum holds.
pub(crate) fn xmr(s: &str) -> bool {
    let b = s.as_bytes();
    if !(b.len() == 95 || b.len() == 106) || !matches!(b[0], b'4' | b'8') {
        return false;
    }
    let mut raw = Vec::with_capacity(77);
    for chunk in b.chunks(11) {
        let out_len = match chunk.len() {
            11 => 8,
            7 => 5,
            _ => return false,
        };
        let mut n: u64 = 0;
        for &c in chunk {
            let Some(d) = b58_digit(c) else { return false };
            let Some(v) = n.checked_mul(58).and_then(|v| v.checked_add(u64::from(d))) else {
                return false;
            };
            n = v;
        }
        if out_len < 8 && n >> (out_len * 8) != 0 {
            return false;
        }
        raw.extend_from_slice(&n.to_be_bytes()[8 - out_len..]);
    }
    let (body, check) = raw.split_at(raw.len() - 4);
    let ok_tag = matches!((body[0], body.len()), (18, 65) | (42, 65) | (19, 73));
    ok_tag && Keccak256::digest(body)[..4] == *check
}

/// `0x` and 40 hex digits; a mixed-case address must carry a valid EIP-55 checksum.
/// The zero address is nobody's wallet.
pub(crate) fn eth(s: &str) -> bool {
    let Some(hex) = s.strip_prefix("0x") else {
        return false;
    };
    if hex.len() != 40
        || !hex.bytes().all(|c| c.is_ascii_hexdigit())
        || hex.bytes().all(|c| c == b'0')
    {
        return false;
    }
    let has_upper = hex.bytes().any(|c| c.is_ascii_uppercase());
    let has_lower = hex.bytes().any(|c| c.is_ascii_lowercase());
    if !(has_upper && has_lower) {
        return true;
    }
    let lower = hex.to_ascii_lowercase();
    let hash = Keccak256::digest(lower.as_bytes());
    hex.bytes().enumerate().all(|(i, c)| {
        let nibble = (hash[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0xf;
        !c.is_ascii_alphabetic() || (nibble >= 8) == c.is_ascii_uppercase()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bech32(m) encoding of a mainnet witness program, for building test addresses.
    fn encode(version: u8, program: &[u8], constant: u32) -> String {
        let mut data = vec![version];
        let (mut acc, mut bits) = (0u32, 0);
        for &b in program {
            acc = (acc << 8) | u32::from(b);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                data.push(((acc >> bits) & 31) as u8);
            }
        }
        if bits > 0 {
            data.push(((acc << (5 - bits)) & 31) as u8);
        }
        let hrp = [3u8, 3, 0, 2, 3];
        let pm = polymod(hrp.into_iter().chain(data.iter().copied()).chain([0; 6])) ^ constant;
        data.extend((0..6).map(|i| ((pm >> (5 * (5 - i))) & 31) as u8));
        let mut s = String::from("bc1");
        s.extend(data.iter().map(|&d| BECH32[d as usize] as char));
        s
    }

    #[test]
    fn bitcoin_checksums() {
        // The genesis block address and a well-known P2SH example.
        assert!(btc("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"));
        assert!(btc("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"));
        assert!(!btc("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"));
        // The BIP-173 example, in both cases, and a one-character typo of it.
        assert!(btc("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"));
        assert!(btc("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"));
        assert!(!btc("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"));
        assert!(!btc("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kV8f3t4"));
        // A v1 (Taproot) program needs the Bech32m constant, not Bech32's.
        let taproot = encode(1, &[7u8; 32], 0x2bc8_30a3);
        assert!(btc(&taproot));
        assert!(!btc(&encode(1, &[7u8; 32], 1)));
        assert!(!btc("1HB5XMLmzFVj8ALj6mfBsbifRoD4miY36w"));
    }

    #[test]
    fn ethereum_eip55() {
        assert!(eth("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"));
        assert!(eth("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"));
        assert!(!eth("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"));
        assert!(!eth("0x0000000000000000000000000000000000000000"));
        assert!(!eth("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea"));
    }

    #[test]
    fn monero_needs_its_checksum() {
        let good = "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A";
        assert!(xmr(good));
        let mut bad = good.to_owned();
        bad.replace_range(94..95, "B");
        assert!(!xmr(&bad));
        assert!(xmr(
            "49urk473npMgWFFBBk2xLMjEqTgg1PHMzg1MjDWBST5AMEEyh58TjCvLEf58uu5kruPWu5pA1RBPKX3quEQpHKoGQ1zbTGe"
        ));
        assert!(!xmr(&good[..94]));
    }
}
