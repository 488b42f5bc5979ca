//! A map keyed by block address that keeps neighbours together.
//!
//! A program that builds a large structure allocates its blocks one after
//! another, and the C library hands them out at rising addresses. With a
//! hash that scatters every address, each of those blocks lands on its own
//! cache line and page of a table that can hold millions: one miss, often
//! two with the page walk, per insert and per remove. Here the blocks of
//! one 1 KiB window of the address space share one stretch of 64 buckets,
//! each at its own place in it, and the windows themselves are scattered.
//! The C tracker's table does the same (`home_slot` in `csrc/tracker.c`).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Blocks are at least 16-byte aligned: the four low bits say nothing.
const GRANULE_BITS: u32 = 4;
/// Granules in a window: 64, so a window's blocks share 64 buckets.
const WINDOW_BITS: u32 = 6;

/// Hashes one `u64`, a block's address, keeping a window's blocks together.
#[derive(Debug, Default, Clone, Copy)]
pub struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Only addresses are keys; anything else still hashes, just without locality.
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, address: u64) {
        let granule = address >> GRANULE_BITS;
        let within = granule & ((1 << WINDOW_BITS) - 1);
        let window = mix(granule >> WINDOW_BITS);
        // The bucket: the window's stretch, and a place in it that differs
        // between windows, so page-aligned blocks do not all start at one.
        let bucket = (window << WINDOW_BITS) | ((within ^ window) & ((1 << WINDOW_BITS) - 1));
        // The table's tag comes from the top seven bits, which would be the
        // same for a whole window: the place within it goes there too.
        self.0 = bucket ^ (within << (64 - 7));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// One multiply by the golden ratio's fraction, its well-mixed high half
/// turned down to where the table reads its bucket.
fn mix(key: u64) -> u64 {
    key.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(32)
}

/// A map from block addresses.
pub type AddressMap<V> = HashMap<u64, V, BuildHasherDefault<AddressHasher>>;

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasher, BuildHasherDefault};

    use super::{AddressHasher, AddressMap};

    fn hash(address: u64) -> u64 {
        BuildHasherDefault::<AddressHasher>::default().hash_one(address)
    }

    #[test]
    fn blocks_of_one_window_share_a_stretch_of_buckets_each_in_its_own_place() {
        let base = 0x5555_0000_0400;
        let buckets: Vec<u64> = (0..64).map(|granule| hash(base + granule * 16) & 0xffff).collect();
        let stretch = buckets[0] >> 6;
        assert!(buckets.iter().all(|bucket| bucket >> 6 == stretch), "{buckets:x?}");
        let mut places: Vec<u64> = buckets.iter().map(|bucket| bucket & 63).collect();
        places.sort_unstable();
        places.dedup();
        assert_eq!(places.len(), 64);
    }

    #[test]
    fn page_aligned_blocks_do_not_all_take_the_same_place() {
        let places: std::collections::BTreeSet<u64> =
            (0..256).map(|page| hash(0x7f00_0000_0010 + page * 4096) & 63).collect();
        assert!(places.len() > 32, "{places:?}");
    }

    #[test]
    fn the_map_finds_what_it_holds_and_forgets_what_it_removed() {
        let mut map: AddressMap<u64> = AddressMap::default();
        for address in (0x1000..0x1000 + 16 * 10_000).step_by(16) {
            map.insert(address, address * 2);
        }
        for address in (0x1000..0x1000 + 16 * 10_000).step_by(32) {
            assert_eq!(map.remove(&address), Some(address * 2));
        }
        assert_eq!(map.len(), 5_000);
        assert_eq!(map.get(&0x1010), Some(&0x2020));
        assert_eq!(map.get(&0x1000), None);
    }
}
