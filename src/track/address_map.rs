//! A map keyed by block address, for a model that inserts and removes one
//! entry per block: open addressing with linear probing and backward-shift
//! deletion, as the C tracker's own table of live blocks (`csrc/tracker.c`).
//!
//! Two things a general hash map does not do for this load. Removal leaves
//! no tombstone, so a table that sees millions of blocks come and go never
//! stops to rebuild itself (a `HashMap` took 17 ns an insert and remove
//! of one block, this one a few). And a large table keeps neighbours
//! together: a program that builds a large structure allocates its blocks
//! at rising addresses, and scattering each over a table of millions costs
//! a cache miss and a page walk per insert. Past [`LOCAL_SLOTS`] slots, the
//! blocks of one 1 KiB window of the address space share a stretch of 64
//! slots, each at its own place in it, and the windows are scattered.

/// A table past this many slots no longer fits the caches, and keeps
/// neighbouring blocks together.
const LOCAL_SLOTS: usize = 1 << 16;
/// The fewest slots a table has once it holds anything.
const MIN_SLOTS: usize = 16;
/// Blocks are at least 16-byte aligned: the four low bits say nothing.
const GRANULE_BITS: u32 = 4;
/// Granules in a window: 64, so a window's blocks share 64 slots.
const WINDOW_BITS: u32 = 6;

/// A map from block addresses to `V`.
#[derive(Debug, Clone, Default)]
pub struct AddressMap<V> {
    /// `(address, value)`, address 0 marking an empty slot; a power of two
    /// of them, at most half full.
    slots: Vec<(u64, V)>,
    len: usize,
    /// The value at address 0, which cannot mark itself.
    at_zero: Option<V>,
}

impl<V: Copy + Default> AddressMap<V> {
    pub fn len(&self) -> usize {
        self.len + usize::from(self.at_zero.is_some())
    }

    /// Sets `address`'s value, returning the one it replaced.
    pub fn insert(&mut self, address: u64, value: V) -> Option<V> {
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

    pub fn get_mut(&mut self, address: u64) -> Option<&mut V> {
        if address == 0 {
            return self.at_zero.as_mut();
        }
        let i = self.find(address)?;
        Some(&mut self.slots[i].1)
    }

    /// Takes `address`'s value out. The entries after it in its run move
    /// back over the hole where their probes allow, so no tombstone is left.
    pub fn remove(&mut self, address: u64) -> Option<V> {
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

    /// Where `address`'s probe starts.
    fn home(&self, address: u64) -> usize {
        let mask = self.slots.len() - 1;
        if self.slots.len() < LOCAL_SLOTS {
            return scatter(address) as usize & mask;
        }
        let granule = address >> GRANULE_BITS;
        let window = scatter(granule >> WINDOW_BITS);
        let place_mask = (1 << WINDOW_BITS) - 1;
        // The place within the window's stretch is turned by the window's
        // hash, so page-aligned blocks do not all start at one.
        ((window << WINDOW_BITS) | ((granule ^ window) & place_mask)) as usize & mask
    }

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
    key.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(32)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::{AddressMap, LOCAL_SLOTS};

    #[test]
    fn blocks_of_one_window_share_a_stretch_of_a_large_table_each_in_its_own_place() {
        let mut map: AddressMap<u64> = AddressMap::default();
        for address in (0x10_0000..).step_by(16).take(LOCAL_SLOTS) {
            map.insert(address, 0);
        }
        assert!(map.slots.len() > LOCAL_SLOTS);
        let base = 0x5555_0000_0400;
        let homes: Vec<usize> = (0..64).map(|granule| map.home(base + granule * 16)).collect();
        let stretch = homes[0] >> 6;
        assert!(homes.iter().all(|home| home >> 6 == stretch), "{homes:x?}");
        let mut places: Vec<usize> = homes.iter().map(|home| home & 63).collect();
        places.sort_unstable();
        places.dedup();
        assert_eq!(places.len(), 64);
        let pages: std::collections::BTreeSet<usize> =
            (0..256).map(|page| map.home(0x7f00_0000_0010 + page * 4096) & 63).collect();
        assert!(pages.len() > 32, "page-aligned blocks start at {} places", pages.len());
    }

    #[test]
    fn a_table_that_held_many_gives_back_its_room_when_they_go() {
        let mut map: AddressMap<u64> = AddressMap::default();
        for address in (16..).step_by(16).take(100_000) {
            map.insert(address, address);
        }
        for address in (16..).step_by(16).take(99_990) {
            assert_eq!(map.remove(address), Some(address));
        }
        assert_eq!(map.len(), 10);
        assert!(map.slots.len() <= 128, "{} slots", map.slots.len());
        for address in (16..).step_by(16).skip(99_990).take(10) {
            assert_eq!(map.get_mut(address).copied(), Some(address));
        }
    }

    #[test]
    fn a_large_table_answers_as_a_hash_map_does() {
        let mut map: AddressMap<u64> = AddressMap::default();
        let mut expected: HashMap<u64, u64> = HashMap::new();
        let mut state = 0x2545_f491_4f6c_dd1du64;
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
        }
        assert_eq!(map.len(), expected.len());
        assert!(map.slots.len() >= LOCAL_SLOTS, "the large table's homes were used");
        for (&address, &value) in &expected {
            assert_eq!(map.get_mut(address).copied(), Some(value));
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u64, u32),
        Remove(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        // Addresses from a few pages, some page-aligned, and zero: runs,
        // collisions and wrap-arounds come up often.
        let address = prop_oneof![
            (0u64..512).prop_map(|granule| 0x5555_0000_0000 + granule * 16),
            (0u64..64).prop_map(|page| 0x7f00_0000_0010 + page * 4096),
            Just(0u64),
        ];
        prop_oneof![
            3 => (address.clone(), any::<u32>()).prop_map(|(a, v)| Op::Insert(a, v)),
            2 => address.prop_map(Op::Remove),
        ]
    }

    proptest! {
        #[test]
        fn it_answers_as_a_hash_map_does(ops in prop::collection::vec(op(), 1..2000)) {
            let mut map: AddressMap<u32> = AddressMap::default();
            let mut expected: HashMap<u64, u32> = HashMap::new();
            for op in ops {
                match op {
                    Op::Insert(address, value) => {
                        prop_assert_eq!(map.insert(address, value), expected.insert(address, value));
                    }
                    Op::Remove(address) => {
                        prop_assert_eq!(map.remove(address), expected.remove(&address));
                    }
                }
                prop_assert_eq!(map.len(), expected.len());
            }
            for (&address, &value) in &expected {
                prop_assert_eq!(map.get_mut(address).copied(), Some(value));
            }
        }
    }
}
