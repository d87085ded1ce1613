//! What a listing has already seen (IDs, page URLs, cursors, page bodies),
//! in about 8 bytes an entry whatever its length.
//!
//! An entry is kept as its 64-bit fingerprint under a hash keyed at random
//! for each run (SipHash, [`RandomState`]), so that no API can make two
//! entries collide on purpose. Two different IDs share a fingerprint with a
//! chance of about n² / 2^65 (1 in 36 million for a listing of a million
//! IDs); the second would then be refused as "listed twice", never applied
//! with the other's quantity.
//!
//! The fingerprints live in one sorted vector (looked up by binary search)
//! and a small hash set of the latest ones, merged into the vector whenever
//! it reaches an eighth of it: no hash table of the whole set is ever grown
//! (which would hold the old and the new table at once).

use std::collections::HashSet;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher, RandomState};

/// Smallest size of the recent set before a merge.
const MIN_RECENT: usize = 4096;

/// A set of fingerprints.
#[derive(Debug)]
pub struct Seen {
    keys: RandomState,
    sorted: Vec<u64>,
    recent: HashSet<u64, BuildHasherDefault<PassThrough>>,
}

impl Default for Seen {
    fn default() -> Self {
        Seen::new()
    }
}

impl Seen {
    pub fn new() -> Self {
        Seen {
            keys: RandomState::new(),
            sorted: Vec::new(),
            recent: HashSet::default(),
        }
    }

    /// Adds `value`; whether it was new.
    pub fn insert<T: Hash + ?Sized>(&mut self, value: &T) -> bool {
        let fingerprint = self.keys.hash_one(value);
        if self.sorted.binary_search(&fingerprint).is_ok() || !self.recent.insert(fingerprint) {
            return false;
        }
        if self.recent.len() >= MIN_RECENT.max(self.sorted.len() / 8) {
            self.merge();
        }
        true
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.sorted.len() + self.recent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Moves the recent fingerprints into the sorted vector, merging from
    /// its end (no second vector of the whole set).
    fn merge(&mut self) {
        let mut recent: Vec<u64> = self.recent.drain().collect();
        recent.sort_unstable();
        let old = self.sorted.len();
        self.sorted.resize(old + recent.len(), 0);
        let (mut i, mut j) = (old, recent.len());
        for k in (0..self.sorted.len()).rev() {
            if j == 0 {
                break;
            }
            if i > 0 && self.sorted[i - 1] > recent[j - 1] {
                self.sorted[k] = self.sorted[i - 1];
                i -= 1;
            } else {
                self.sorted[k] = recent[j - 1];
                j -= 1;
            }
        }
        self.recent.shrink_to(MIN_RECENT);
    }
}

/// The hasher of a set of fingerprints, which are already uniformly spread:
/// it keeps them as they are.
#[derive(Debug, Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_value_is_new_once() {
        let mut seen = Seen::new();
        for n in 0..50_000 {
            assert!(seen.insert(&format!("GS-{n}")), "{n}");
        }
        assert_eq!(seen.len(), 50_000);
        assert!(seen.sorted.len() > 40_000, "merged: {}", seen.sorted.len());
        for n in (0..50_000).step_by(7) {
            assert!(!seen.insert(&format!("GS-{n}")), "{n}");
        }
        assert!(seen.insert("GS-50000"));
        assert!(!seen.insert("GS-50000"));
        assert_eq!(seen.len(), 50_001);
        assert!(seen.sorted.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn same_as_a_set_of_strings_in_any_order() {
        let mut seen = Seen::new();
        let mut reference = HashSet::new();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..40_000 {
            // xorshift: repeats come often enough.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let value = format!("{}", state % 30_000);
            assert_eq!(seen.insert(value.as_str()), reference.insert(value));
        }
        assert_eq!(seen.len(), reference.len());
    }

    #[test]
    fn pairs_of_an_id_and_a_location_are_told_apart() {
        let mut seen = Seen::new();
        assert!(seen.insert(&("A", "PARIS")));
        assert!(seen.insert(&("A", "LYON")));
        assert!(seen.insert(&("B", "PARIS")));
        // Where one ends and the other starts counts.
        assert!(seen.insert(&("ab", "c")));
        assert!(seen.insert(&("a", "bc")));
        assert!(!seen.insert(&("A", "PARIS")));
        assert_eq!(seen.len(), 5);
    }

    #[test]
    fn about_eight_bytes_an_entry() {
        let mut seen = Seen::new();
        for n in 0..200_000u32 {
            seen.insert(&n);
        }
        let bytes = seen.sorted.capacity() * 8 + seen.recent.capacity() * 9;
        assert!(bytes < 200_000 * 16, "{bytes} bytes");
    }
}
