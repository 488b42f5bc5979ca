//! The blocks a model holds as live, kept in the order they were allocated.
//!
//! A view lists them oldest first, and a recorded program may hold millions:
//! sorting them whenever the model changed (every frame of a recording)
//! would stall the window. Here they stay in allocation order as they
//! arrive, so the oldest are at the front; an address finds its block
//! through a small index, and a bitmap of the live ones lets a listing pass
//! a long run of freed blocks a word at a time.

use super::OutstandingBlock;
use super::address_map::AddressMap;

/// Holes the order may hold before it is compacted, whatever the number of
/// live blocks: compacting often when there are few would cost more than
/// the holes do.
const HOLES_TOLERATED: usize = 4096;

/// Places per word of the live bitmap.
const WORD: usize = 64;

/// Words of freed places let go at the front before they are shifted out
/// of the vectors: shifting is a copy of everything after them, so it
/// waits until they are at least as many as the words kept.
const FRONT_WORDS_SHIFTED: usize = 64;

#[derive(Debug, Default)]
pub(super) struct OutstandingBlocks {
    /// Blocks in allocation order, live or freed since (`live` says which).
    /// Plain vectors, not deques: every event indexes them, and a deque's
    /// index wraps. The front that was let go (`front` words) stays until
    /// it is worth shifting out.
    order: Vec<OutstandingBlock>,
    /// One bit per place of `order`, set while its block is live: a run of
    /// freed places is skipped a word at a time. The first word kept
    /// always has a live block or is the only one.
    live: Vec<u64>,
    /// Words of `live` (and their places in `order`) let go at the front.
    front: usize,
    /// Where `order[0]` is among all the places ever handed out.
    first_place: u64,
    /// Each live block's place, by address.
    place_of: AddressMap<u64>,
    holes: usize,
}

impl OutstandingBlocks {
    pub fn len(&self) -> usize {
        self.place_of.len()
    }

    /// Holds `block` as the newest. A block already held at its address (its
    /// free was lost) is replaced.
    #[expect(
        clippy::inline_always,
        reason = "the block arrives built field by field, and a call reads it back whole before those stores \
                  can be forwarded: a stall that was half of this function's time (BENCHMARKS.md)"
    )]
    #[inline(always)]
    pub fn insert(&mut self, block: OutstandingBlock) {
        let offset = self.order.len();
        if offset.is_multiple_of(WORD) {
            self.live.push(0);
        }
        self.order.push(block);
        self.live[offset / WORD] |= 1 << (offset % WORD);
        if let Some(replaced) = self.place_of.insert(block.address, self.first_place + offset as u64) {
            self.vacate(replaced);
        }
    }

    /// Lets go of the block at `address`, if one is held there.
    #[inline(always)]
    pub fn remove(&mut self, address: u64) -> Option<OutstandingBlock> {
        let place = self.place_of.remove(address)?;
        Some(self.vacate(place))
    }

    #[inline(always)]
    fn vacate(&mut self, place: u64) -> OutstandingBlock {
        let offset = (place - self.first_place) as usize;
        self.live[offset / WORD] &= !(1 << (offset % WORD));
        self.holes += 1;
        let block = self.order[offset];
        if self.front_word_empty() || self.too_many_holes() {
            self.tidy();
        }
        block
    }

    /// A whole word of holes at the front, not the word being filled.
    fn front_word_empty(&self) -> bool {
        self.live.len() > self.front + 1 && self.live[self.front] == 0
    }

    fn too_many_holes(&self) -> bool {
        self.holes > HOLES_TOLERATED && self.holes > self.len()
    }

    /// Places held, the front let go not counted.
    #[cfg(test)]
    fn places(&self) -> usize {
        self.order.len() - self.front * WORD
    }

    /// Lets go of the front's words of holes, and closes every hole once
    /// there are many: out of line, as most frees leave a hole behind.
    #[inline(never)]
    fn tidy(&mut self) {
        while self.front_word_empty() {
            self.front += 1;
            self.holes -= WORD;
        }
        if self.too_many_holes() {
            self.compact();
        } else if self.front >= FRONT_WORDS_SHIFTED && self.front >= self.live.len() - self.front {
            self.live.drain(..self.front);
            self.order.drain(..self.front * WORD);
            self.first_place += (self.front * WORD) as u64;
            self.front = 0;
        }
    }

    /// Closes every hole. More holes than live blocks were made since the
    /// last time, so each removal pays for its share.
    fn compact(&mut self) {
        let kept: Vec<OutstandingBlock> = self.iter().copied().collect();
        self.live = (0..kept.len().div_ceil(WORD))
            .map(|word| {
                let in_word = (kept.len() - word * WORD).min(WORD);
                if in_word == WORD { u64::MAX } else { (1 << in_word) - 1 }
            })
            .collect();
        self.first_place += (self.front * WORD) as u64;
        self.front = 0;
        for (offset, block) in kept.iter().enumerate() {
            if let Some(place) = self.place_of.get_mut(block.address) {
                *place = self.first_place + offset as u64;
            }
        }
        self.order = kept;
        self.holes = 0;
    }

    /// Every block, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &OutstandingBlock> {
        let front = self.front;
        self.live[front..]
            .iter()
            .enumerate()
            .flat_map(move |(word, &bits)| SetBits(bits).map(move |bit| &self.order[(front + word) * WORD + bit]))
    }

    /// The oldest blocks, at most `count` of them. Runs of freed blocks
    /// are passed a word at a time, so this costs `count` blocks and at
    /// most one word per 64 places, whatever was freed between them.
    pub fn oldest(&self, count: usize) -> Vec<OutstandingBlock> {
        self.iter().take(count).copied().collect()
    }

    /// Lets go of everything, handing back what was held.
    pub fn take_all(&mut self) -> Vec<OutstandingBlock> {
        let blocks = self.iter().copied().collect();
        *self = OutstandingBlocks::default();
        blocks
    }
}

/// The set bits of a word, lowest first.
struct SetBits(u64);

impl Iterator for SetBits {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.0 == 0 {
            return None;
        }
        let bit = self.0.trailing_zeros() as usize;
        self.0 &= self.0 - 1;
        Some(bit)
    }
}

#[cfg(test)]
mod tests {
    use super::{FRONT_WORDS_SHIFTED, HOLES_TOLERATED, OutstandingBlocks, WORD};
    use crate::ffi::Domain;
    use crate::track::OutstandingBlock;

    fn block(address: u64, seq: u64) -> OutstandingBlock {
        OutstandingBlock { address, size: 16, domain: Domain::C, site: None, step: None, seq }
    }

    #[test]
    fn an_old_block_followed_by_a_long_run_of_freed_ones_still_lists_the_blocks_after_them() {
        let mut blocks = OutstandingBlocks::default();
        blocks.insert(block(0x8, 0));
        // 300,000 blocks, the first 200,000 of them freed in the order they came:
        // fewer holes than live blocks, so nothing is compacted.
        for seq in 1..=300_000 {
            blocks.insert(block(0x10_0000 + seq * 16, seq));
        }
        for seq in 1..=200_000 {
            blocks.remove(0x10_0000 + seq * 16);
        }
        let listed = blocks.oldest(1000);
        assert_eq!(listed.len(), 1000);
        assert_eq!(listed[0].seq, 0);
        assert_eq!(listed[1].seq, 200_001);
        assert_eq!(listed[999].seq, 200_999);
    }

    #[test]
    fn blocks_are_kept_oldest_first_whatever_is_freed_between_them() {
        let mut blocks = OutstandingBlocks::default();
        for seq in 0..10 {
            blocks.insert(block(0x1000 + seq * 16, seq));
        }
        for seq in [0, 3, 4, 9] {
            assert_eq!(blocks.remove(0x1000 + seq * 16).map(|b| b.seq), Some(seq));
        }
        assert_eq!(blocks.remove(0x1000), None, "gone already");
        blocks.insert(block(0x1000, 10));
        let seqs: Vec<u64> = blocks.iter().map(|b| b.seq).collect();
        assert_eq!(seqs, [1, 2, 5, 6, 7, 8, 10]);
        assert_eq!(blocks.len(), 7);
        assert_eq!(blocks.oldest(3).iter().map(|b| b.seq).collect::<Vec<_>>(), [1, 2, 5]);
    }

    #[test]
    fn an_address_held_again_replaces_the_block_it_held() {
        let mut blocks = OutstandingBlocks::default();
        blocks.insert(block(0x10, 0));
        blocks.insert(block(0x10, 1));
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks.iter().map(|b| b.seq).collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn one_old_block_and_many_short_lived_ones_keep_the_order_small() {
        let mut blocks = OutstandingBlocks::default();
        blocks.insert(block(0x8, 0));
        for seq in 1..1_000_000 {
            let address = 0x1000 + (seq % 64) * 16;
            blocks.insert(block(address, seq));
            blocks.remove(address);
        }
        assert_eq!(blocks.len(), 1);
        assert!(blocks.places() <= 2 * HOLES_TOLERATED + 2, "{} places", blocks.places());
        assert_eq!(blocks.remove(0x8).map(|b| b.seq), Some(0), "found after every compaction");
        assert!(blocks.places() < 64, "{} places", blocks.places());
        assert_eq!(blocks.iter().count(), 0);
    }

    #[test]
    fn blocks_freed_in_the_order_they_came_are_shifted_out_at_the_front() {
        const WINDOW: u64 = 1000;
        let mut blocks = OutstandingBlocks::default();
        for seq in 0..1_000_000 {
            blocks.insert(block(0x10_0000 + seq * 16, seq));
            if seq >= WINDOW {
                assert!(blocks.remove(0x10_0000 + (seq - WINDOW) * 16).is_some());
            }
        }
        let kept_words = WINDOW as usize / WORD + 2;
        assert!(
            blocks.order.len() <= 2 * (FRONT_WORDS_SHIFTED + kept_words) * WORD,
            "{} places stored for {WINDOW} live blocks",
            blocks.order.len()
        );
        let seqs: Vec<u64> = blocks.iter().map(|b| b.seq).collect();
        assert_eq!(seqs, (1_000_000 - WINDOW..1_000_000).collect::<Vec<_>>());
        for seq in 1_000_000 - WINDOW..1_000_000 {
            assert_eq!(blocks.remove(0x10_0000 + seq * 16).map(|b| b.seq), Some(seq));
        }
        assert_eq!(blocks.len(), 0);
    }

    #[test]
    fn every_block_is_found_at_its_address_after_compactions() {
        let mut blocks = OutstandingBlocks::default();
        for seq in 0..100_000 {
            blocks.insert(block(0x10_0000 + seq * 32, seq));
        }
        for seq in (0..100_000).filter(|seq| seq % 10 != 0) {
            assert!(blocks.remove(0x10_0000 + seq * 32).is_some());
        }
        assert_eq!(blocks.len(), 10_000);
        for seq in (0..100_000).step_by(10) {
            assert_eq!(blocks.remove(0x10_0000 + seq * 32).map(|b| b.seq), Some(seq));
        }
        assert_eq!(blocks.len(), 0);
    }

    #[test]
    fn taking_all_empties_it_and_later_blocks_still_come_in_order() {
        let mut blocks = OutstandingBlocks::default();
        for seq in 0..5 {
            blocks.insert(block(0x100 + seq * 16, seq));
        }
        assert_eq!(blocks.take_all().len(), 5);
        assert_eq!(blocks.len(), 0);
        blocks.insert(block(0x100, 5));
        blocks.insert(block(0x200, 6));
        assert_eq!(blocks.remove(0x100).map(|b| b.seq), Some(5));
        assert_eq!(blocks.iter().map(|b| b.seq).collect::<Vec<_>>(), [6]);
    }
}
