//! A map keyed by block address, for a model that inserts and removes one
//! entry per block.
//!
//! While it is small (it fits the caches) it is an open-addressing table
//! with linear probing and backward-shift deletion, as the C tracker's own
//! table of live blocks (`csrc/tracker.c`): removal leaves no tombstone, so
//! a map that sees blocks come and go by the million never stops to rebuild
//! itself.
//!
//! Large, it is a `HashMap` whose hash keeps neighbours together. A program
//! that builds a large structure allocates its blocks at rising addresses,
//! and scattering each over a table of millions costs a cache miss and a
//! page walk per insert. The blocks of one 1 KiB window of the address space
//! share a stretch of 64 buckets, each at its own place in it, and the
//! windows are scattered. (Linear probing with that hash made long runs
//! wherever two busy windows met, and took twice as long on `jq`; the
//! `HashMap` probes in groups and jumps away.)

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A table past this many slots no longer fits the caches: the map
/// becomes a `HashMap` that keeps neighbouring blocks together.
const LOCAL_SLOTS: usize = 1 << 16;
/// Below this many entries a large map becomes a small one again.
const SMALL_AGAIN: usize = LOCAL_SLOTS / 8;
/// The fewest slots a table has once it holds anything.
const MIN_SLOTS: usize = 16;
/// Blocks are at least 16-byte aligned: the four low bits say nothing.
const GRANULE_BITS: u32 = 4;
/// Granules in a window: 64, so a window's blocks share 64 slots.
const WINDOW_BITS: u32 = 6;

/// A map from block addresses to `V`.
#[derive(Debug, Clone)]
pub enum AddressMap<V> {
    Small(SmallMap<V>),
    Large(HashMap<u64, V, BuildHasherDefault<LocalHasher>>),
}

impl<V> Default for AddressMap<V> {
    fn default() -> Self {
        AddressMap::Small(SmallMap::default())
    }
}

impl<V: Copy + Default> AddressMap<V> {
    pub fn len(&self) -> usize {
        match self {
            AddressMap::Small(map) => map.len(),
            AddressMap::Large(map) => map.len(),
        }
    }

    /// Sets `address`'s value, returning the one it replaced.
    #[inline(always)]
    pub fn insert(&mut self, address: u64, value: V) -> Option<V> {
        match self {
            AddressMap::Small(map) if (map.len + 1) * 2 > LOCAL_SLOTS => self.grow_large(address, value),
            AddressMap::Small(map) => map.insert(address, value),
            AddressMap::Large(map) => map.insert(address, value),
        }
    }

    /// The small form, full, becomes the large one with `address` in it.
    #[inline(never)]
    fn grow_large(&mut self, address: u64, value: V) -> Option<V> {
        let mut large: HashMap<u64, V, BuildHasherDefault<LocalHasher>> =
            HashMap::with_capacity_and_hasher(LOCAL_SLOTS, BuildHasherDefault::default());
        if let AddressMap::Small(map) = self {
            large.extend(map.entries());
        }
        let replaced = large.insert(address, value);
        *self = AddressMap::Large(large);
        replaced
    }

    pub fn get_mut(&mut self, address: u64) -> Option<&mut V> {
        match self {
            AddressMap::Small(map) => map.get_mut(address),
            AddressMap::Large(map) => map.get_mut(&address),
        }
    }

    /// Takes `address`'s value out.
    #[inline(always)]
    pub fn remove(&mut self, address: u64) -> Option<V> {
        match self {
            AddressMap::Small(map) => map.remove(address),
            AddressMap::Large(map) => {
                let value = map.remove(&address);
                if map.len() < SMALL_AGAIN {
                    self.shrink_small();
                }
                value
            }
        }
    }

    /// The large form, emptied to an eighth, becomes the small one again.
    #[inline(never)]
    fn shrink_small(&mut self) {
        if let AddressMap::Large(map) = self {
            let mut small = SmallMap::default();
            for (&address, &value) in map.iter() {
                small.insert(address, value);
            }
            *self = AddressMap::Small(small);
        }
    }
}

/// The small form: open addressing, linear probing, backward-shift deletion.
#[derive(Debug, Clone)]
pub struct SmallMap<V> {
    /// `(address, value)`, address 0 marking an empty slot; a power of two
    /// of them, at most half full.
    slots: Vec<(u64, V)>,
    len: usize,
    /// The value at address 0, which cannot mark itself.
    at_zero: Option<V>,
}

impl<V> Default for SmallMap<V> {
    fn default() -> Self {
        SmallMap { slots: Vec::new(), len: 0, at_zero: None }
    }
}

impl<V: Copy + Default> SmallMap<V> {
    fn len(&self) -> usize {
        self.len + usize::from(self.at_zero.is_some())
    }

    fn entries(&self) -> impl Iterator<Item = (u64, V)> + '_ {
        self.slots.iter().copied().filter(|&(address, _)| address != 0).chain(self.at_zero.map(|value| (0, value)))
    }

    #[inline(always)]
    fn insert(&mut self, address: u64, value: V) -> Option<V> {
        if address == 0 {
            return self.at_zero.replace(value);
        }
        if (self.len + 1) * 2 > self.slots.len() {
            self.resize((self.slots.len() * 2).max(MIN_SLOTS));
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(address);
        loop {
            let slot = &mut self.slots[i];
            if slot.0 == address {
                return Some(std::mem::replace(&mut slot.1, value));
            }
            if slot.0 == 0 {
                *slot = (address, value);
                self.len += 1;
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    fn get_mut(&mut self, address: u64) -> Option<&mut V> {
        if address == 0 {
            return self.at_zero.as_mut();
        }
        let i = self.find(address)?;
        Some(&mut self.slots[i].1)
    }

    /// Takes `address`'s value out. The entries after it in its run move
    /// back over the hole where their probes allow, so no tombstone is left.
    #[inline(always)]
    fn remove(&mut self, address: u64) -> Option<V> {
        if address == 0 {
            return self.at_zero.take();
        }
        let found = self.find(address)?;
        let value = self.slots[found].1;
        let mask = self.slots.len() - 1;
        let mut hole = found;
        let mut i = (hole + 1) & mask;
        while self.slots[i].0 != 0 {
            let home = self.home(self.slots[i].0);
            // Moved back only if its probe from home passes the hole.
            if (i.wrapping_sub(home) & mask) >= (i.wrapping_sub(hole) & mask) {
                self.slots[hole] = self.slots[i];
                hole = i;
            }
            i = (i + 1) & mask;
        }
        self.slots[hole].0 = 0;
        self.len -= 1;
        // A table left an eighth full after a peak gives back half its room.
        if self.slots.len() > MIN_SLOTS && self.len * 8 < self.slots.len() {
            self.resize(self.slots.len() / 2);
        }
        Some(value)
    }

    fn find(&self, address: u64) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(address);
        loop {
            match self.slots[i].0 {
                key if key == address => return Some(i),
                0 => return None,
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// Where `address`'s probe starts: Fibonacci hashing, the product's top
    /// bits, which every bit of the address reaches (the middle bits do not
    /// mix enough for addresses a cache line apart).
    fn home(&self, address: u64) -> usize {
        let bits = self.slots.len().trailing_zeros();
        (address.wrapping_mul(GOLDEN) >> (64 - bits)) as usize
    }

    #[inline(never)]
    fn resize(&mut self, slots: usize) {
        let old = std::mem::replace(&mut self.slots, vec![(0, V::default()); slots]);
        let mask = slots - 1;
        for (address, value) in old.into_iter().filter(|&(address, _)| address != 0) {
            let mut i = self.home(address);
            while self.slots[i].0 != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = (address, value);
        }
    }
}

/// One multiply by the golden ratio's fraction, its well-mixed high half
/// turned down to where the table reads its slot.
fn scatter(key: u64) -> u64 {
    key.wrapping_mul(GOLDEN).rotate_left(32)
}

/// 2⁶⁴ divided by the golden ratio.
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// Hashes a block's address for the large form, keeping a window's blocks together.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalHasher(u64);

impl Hasher for LocalHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Only addresses are keys; anything else still hashes, without locality.
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, address: u64) {
        let granule = address >> GRANULE_BITS;
        let within = granule & ((1 << WINDOW_BITS) - 1);
        let window = scatter(granule >> WINDOW_BITS);
        // The bucket: the window's stretch, and a place in it turned by the
        // window's hash, so page-aligned blocks do not all start at one.
        let bucket = (window << WINDOW_BITS) | ((within ^ window) & ((1 << WINDOW_BITS) - 1));
        // The map's tag is the top seven bits, which would be the same for
        // a whole window: the place within it goes there too.
        self.0 = bucket ^ (within << (64 - 7));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::hash::{BuildHasher, BuildHasherDefault};

    use super::{AddressMap, LOCAL_SLOTS, LocalHasher};

    fn local_hash(address: u64) -> u64 {
        BuildHasherDefault::<LocalHasher>::default().hash_one(address)
    }

    #[test]
    fn in_a_large_map_blocks_of_one_window_share_a_stretch_each_in_its_own_place() {
        let base = 0x5555_0000_0400;
        let buckets: Vec<u64> = (0..64).map(|granule| local_hash(base + granule * 16) & 0xffff).collect();
        let stretch = buckets[0] >> 6;
        assert!(buckets.iter().all(|bucket| bucket >> 6 == stretch), "{buckets:x?}");
        let mut places: Vec<u64> = buckets.iter().map(|bucket| bucket & 63).collect();
        places.sort_unstable();
        places.dedup();
        assert_eq!(places.len(), 64);
        let pages: std::collections::BTreeSet<u64> =
            (0..256).map(|page| local_hash(0x7f00_0000_0010 + page * 4096) & 63).collect();
        assert!(pages.len() > 32, "page-aligned blocks start at {} places", pages.len());
    }

    #[test]
    fn a_map_grows_large_and_small_again_keeping_every_entry() {
        let mut map: AddressMap<u64> = AddressMap::default();
        for address in (16..).step_by(16).take(100_000) {
            map.insert(address, address);
        }
        assert!(matches!(map, AddressMap::Large(_)));
        for address in (16..).step_by(16).take(99_990) {
            assert_eq!(map.remove(address), Some(address));
        }
        assert_eq!(map.len(), 10);
        let AddressMap::Small(small) = &map else { panic!("small again") };
        assert!(small.slots.len() <= 128, "{} slots", small.slots.len());
        for address in (16..).step_by(16).skip(99_990).take(10) {
            assert_eq!(map.get_mut(address).copied(), Some(address));
        }
        assert_eq!(map.get_mut(16), None);
    }

    #[test]
    fn a_large_map_answers_as_a_hash_map_does() {
        let mut map: AddressMap<u64> = AddressMap::default();
        let mut expected: HashMap<u64, u64> = HashMap::new();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut was_large = false;
        for step in 0..600_000u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Addresses over 16 MiB, page-aligned ones among them; more inserts than removes.
            let address = if state.is_multiple_of(7) {
                0x7f00_0000_0010 + (state >> 20) % 4096 * 4096
            } else {
                0x10_0000 + (state >> 8) % (1 << 20) * 16
            };
            if state % 5 < 3 {
                assert_eq!(map.insert(address, step), expected.insert(address, step));
            } else {
                assert_eq!(map.remove(address), expected.remove(&address));
            }
            was_large |= matches!(map, AddressMap::Large(_));
        }
        assert!(was_large && expected.len() > LOCAL_SLOTS / 2);
        assert_eq!(map.len(), expected.len());
        for (&address, &value) in &expected {
            assert_eq!(map.get_mut(address).copied(), Some(value));
        }
    }

    /// Sequences of inserts and removes over a few pages, some page-aligned
    /// addresses and zero among them, so runs, collisions, wrap-arounds,
    /// growth and shrinking all come up, each checked against a `HashMap`.
    /// (Seeded, not proptest: CI multiplies proptest's cases for the parser.)
    #[test]
    fn it_answers_as_a_hash_map_does() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for sequence in 0..300 {
            let mut map: AddressMap<u64> = AddressMap::default();
            let mut expected: HashMap<u64, u64> = HashMap::new();
            let granules = 16 << (sequence % 6);
            for step in 0..600 {
                let pick = next();
                let address = match pick % 10 {
                    0 => 0,
                    1 | 2 => 0x7f00_0000_0010 + (pick >> 8) % 64 * 4096,
                    _ => 0x5555_0000_0000 + (pick >> 8) % granules * 16,
                };
                if (pick >> 40) % 5 < 3 {
                    assert_eq!(map.insert(address, step), expected.insert(address, step), "sequence {sequence}");
                } else {
                    assert_eq!(map.remove(address), expected.remove(&address), "sequence {sequence}");
                }
                assert_eq!(map.len(), expected.len());
            }
            for (&address, &value) in &expected {
                assert_eq!(map.get_mut(address).copied(), Some(value));
            }
        }
    }
}
