//! The memory a recorded program shares with ffiscope
//! (`csrc/record/record_channel.h`): ffiscope makes it, the program's
//! preloaded library writes its events (into a ring per thread), its site
//! names and its module table into it, and a [`Channel`] reads them back,
//! merging the rings in place (`csrc/record_reader.c`). Also where the
//! program is started, since handing it the channel's descriptor takes a
//! step between fork and exec.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicI32, AtomicI64, AtomicU8, AtomicU32, AtomicU64, Ordering, fence};

use super::sys;

const MAGIC: u64 = 0x4452_4F43_4552_5346;
const VERSION: u64 = 11;
const MODULES: usize = 512;
/// Rings the region holds: one per thread the program runs at once (more
/// share); 8 MiB each at the default capacity, touched only as written.
const MAX_RINGS: usize = 64;
/// Site names the table holds: 8 MiB of them, touched only as written.
const SITES: usize = 1 << 20;
/// `sizeof(ring_control)` and `sizeof(slot)` (`csrc/tracker_shard.h`).
const RING_CONTROL_BYTES: usize = 384;
const SLOT_BYTES: usize = 32;
/// Events the reader merges out of the rings at a time: 16 KiB of them,
/// read back while still in the nearest cache.
const BATCH: usize = 256;
const PATH_BYTES: usize = 232;
/// The recorded process's command line kept (`FS_RECORD_COMMAND_BYTES`).
const COMMAND_BYTES: usize = 256;
const STACK_FRAMES: usize = 32;
/// Programs the recorded one started that the header names, at most (`FS_RECORD_STARTED`).
const STARTED: usize = 16;
/// Forked copies counted by pid (`FS_RECORD_FORKED_PIDS`).
const FORKED_PIDS: usize = 64;
/// Stacks the table holds: 17 MiB of them, touched only as they are used.
const STACKS: usize = 1 << 16;
/// A site with this bit set names a stack in the table (`FS_RECORD_STACK_TAG`).
pub const STACK_TAG: u64 = 1 << 63;
/// An allocator call's site with this bit set is the entry of the function
/// that a call through a pointer went to, and that reached the allocator
/// by a tail call (`FS_RECORD_TAIL_CALLED_TAG`).
pub const TAIL_CALLED_TAG: u64 = 1 << 62;
/// An allocator call's site with this bit set is a return address after a
/// call through a pointer to a function not known, which reached the
/// allocator by a tail call (`FS_RECORD_CALLEE_UNKNOWN_TAG`).
pub const CALLEE_UNKNOWN_TAG: u64 = 1 << 61;

/// The functions ffiscope replaces whose being found elsewhere a recording
/// tells at its start, in `FS_RECORD_REPLACED_NAMES`' order: bit i of an
/// `EventKind::AllocatorElsewhere` event's mask is the i-th.
pub const REPLACED_NAMES: [&str; 9] =
    ["malloc", "free", "calloc", "realloc", "posix_memalign", "aligned_alloc", "memalign", "_Znwm", "_ZdlPv"];

/// The memory file a channel is, by name: a process mapping it shows it in
/// its `/proc/<pid>/maps` as `/memfd:ffiscope-record (deleted)`.
const CHANNEL_NAME: &CStr = c"ffiscope-record";
pub const CHANNEL_FILE_NAME: &str = "/memfd:ffiscope-record";

/// A crash event's size when the program's stack ran into its guard page
/// (`FS_RECORD_CRASH_STACK_OVERFLOW`).
pub const CRASH_STACK_OVERFLOW: u64 = 1;

#[repr(C)]
struct Module {
    start: u64,
    end: u64,
    bias: u64,
    path: [u8; PATH_BYTES],
}

/// A program the recorded one started, which ran unrecorded (`fs_record_started`).
#[repr(C)]
struct Started {
    count: AtomicU64,
    /// 1 once `path` is whole.
    written: AtomicU64,
    path: [u8; PATH_BYTES],
}

#[repr(C)]
struct Header {
    magic: u64,
    version: u64,
    ring_capacity: u64,
    max_rings: u64,
    site_capacity: u64,
    stack_capacity: u64,
    owner_pid: AtomicI32,
    state: AtomicU32,
    ring_count: AtomicU64,
    ticks_at_start: AtomicU64,
    ns_at_start: AtomicU64,
    module_count: AtomicU64,
    image: AtomicU64,
    guarded: AtomicU64,
    unguarded: AtomicU64,
    stack_count: AtomicU64,
    stacks_dropped: AtomicU64,
    mappings_unread: AtomicU64,
    /// The modules read here, as [`modules_read`] packs them.
    modules_read: AtomicU64,
    modules: [Module; MODULES],
    started_unrecorded: AtomicU64,
    /// Entries of `started` claimed (may pass [`STARTED`]).
    started_count: AtomicU64,
    /// Of `started_unrecorded`, those `FFISCOPE_RECORD_FOLLOW_SKIP` named.
    started_skipped: AtomicU64,
    started: [Started; STARTED],
    /// Odd while the process writes `program` and `command`, even once whole.
    program_sequence: AtomicU64,
    /// Bytes, atomics here because the process may be writing them as they are read.
    program: [AtomicU8; PATH_BYTES],
    command: [AtomicU8; COMMAND_BYTES],
    /// Forked copies of the recorded processes that ran on unrecorded.
    forked_unrecorded: AtomicU64,
    /// A forked copy records here: the pid it was forked from; 0 otherwise.
    forked_from: AtomicI64,
    /// The pids counted in `forked_unrecorded`, for one that execs to take back.
    forked_pids: [AtomicI32; FORKED_PIDS],
}

/// `FS_RECORD_MODULES_READ` (`record_channel.h`): `count` modules of image `image`.
const fn modules_read(image: u64, count: u64) -> u64 {
    (image << 16) | count
}

#[repr(C)]
struct Stack {
    /// Frames written; 0 until the entry is published.
    depth: AtomicU64,
    frames: [u64; STACK_FRAMES],
}

// The C side asserts the same sizes (record_channel.h).
const _: () = assert!(size_of::<Module>() == 256);
const _: () = assert!(size_of::<Header>() == 135_976);
const _: () = assert!(size_of::<Started>() == 248);
const _: () = assert!(size_of::<Stack>() == 264);

/// Where each part of the region begins, as `record_channel.h` places them.
struct Layout {
    sites: usize,
    stacks: usize,
    bytes: usize,
}

impl Layout {
    const fn of(ring_capacity: usize) -> Layout {
        let controls = size_of::<Header>().next_multiple_of(64);
        let rings = (controls + MAX_RINGS * RING_CONTROL_BYTES).next_multiple_of(4096);
        let sites = (rings + MAX_RINGS * ring_capacity * SLOT_BYTES).next_multiple_of(64);
        let stacks = (sites + SITES * size_of::<u64>()).next_multiple_of(64);
        Layout { sites, stacks, bytes: stacks + STACKS * size_of::<Stack>() }
    }
}

/// How far the recorded program has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelState {
    /// The library has not started recording (not loaded yet, or it could not).
    Starting,
    Recording,
    /// The program is exiting and every event it made is in the channel.
    Finished,
    /// The program left through `_exit` where its leaks could not be
    /// looked for (a signal handler on a small stack, or one interrupting
    /// the recorder): every event it made is in the channel, no leak check.
    HandedOver,
    /// The program left through `_exit`: every event it made is in the
    /// channel, and the leak check made as it left.
    LeftChecked,
    /// The program called `exit` from inside its own frames, not by
    /// returning from `main`: every event it made is in the channel, and
    /// the leak check read those frames among its roots.
    FinishedInFrames,
    /// A forked copy exec'd a program not to follow: every event it made
    /// is in the channel, which may be made free again once read.
    GivenBack,
}

/// One executable segment of a module loaded in the recorded program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedModule {
    pub start: u64,
    pub end: u64,
    /// Subtracted from an address in [start, end) to give its address in the file.
    pub bias: u64,
    pub path: String,
}

/// The programs a recorded one started, which ran unrecorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartedUnrecorded {
    /// Processes in all.
    pub processes: u64,
    /// The first programs by path, and how many processes of each.
    pub programs: Vec<(String, u64)>,
    /// Of the processes, those whose program `record --follow-skip` named.
    pub skipped: u64,
    /// Forked copies of a recorded process that ran on without an exec,
    /// unrecorded (apart from `processes`).
    pub forked: u64,
}

/// Which program a process that records runs, as it wrote it when it
/// claimed the channel (and again when it exec'd another).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordedProgram {
    /// Its executable's path.
    pub path: String,
    /// Its arguments, space-separated, cut short.
    pub command: String,
    /// A forked copy of another recorded process, which has not exec'd:
    /// that process's pid.
    pub forked_from: Option<i32>,
}

/// Text the program wrote, up to its NUL.
fn text_of(bytes: &[AtomicU8]) -> String {
    let bytes: Vec<u8> = bytes.iter().map(|b| b.load(Ordering::Relaxed)).collect();
    path_text(&bytes)
}

/// A path the program wrote, up to its NUL.
fn path_text(bytes: &[u8]) -> String {
    CStr::from_bytes_until_nul(bytes)
        .map_or_else(|_| String::from_utf8_lossy(bytes).into_owned(), |c| c.to_string_lossy().into_owned())
}

/// The shared memory, mapped in this process.
#[derive(Debug)]
pub struct Channel {
    memory: OwnedFd,
    /// The start of the mapping: its header.
    header: *mut Header,
    /// Merges the program's rings (C, `csrc/record_reader.c`).
    reader: NonNull<sys::fs_record_reader>,
    /// The events the last read merged out of the rings.
    batch: Vec<sys::fs_id_event>,
    sites: SiteAddresses,
    stacks: StackTable,
    bytes: usize,
}

/// The channel's site table: what each site id in the program's events
/// stands for (a return address, or with [`STACK_TAG`] a stack's number).
/// The program writes an id's entry once, before any event names it.
#[derive(Debug)]
pub struct SiteAddresses {
    entries: *const AtomicU64,
    capacity: u64,
}

impl SiteAddresses {
    /// A table of its own, not a channel's (benches and tests).
    pub fn from_static(entries: &'static [AtomicU64]) -> SiteAddresses {
        SiteAddresses { entries: entries.as_ptr(), capacity: entries.len() as u64 }
    }

    /// What site `id` stands for: None for id 0 (no site), an id past the
    /// table (the program's events are not trusted) or an entry not written.
    pub fn get(&self, id: u32) -> Option<u64> {
        if id == 0 || u64::from(id) >= self.capacity {
            return None;
        }
        // SAFETY: `id` is within the table, which the channel's mapping (or
        // a 'static slice) holds for as long as self lives; entries are atomics.
        let entry = unsafe { &*self.entries.add(id as usize) };
        // Relaxed: the entry was written before the ring that named the id
        // was published, and the reader read that ring with acquire.
        Some(entry.load(Ordering::Relaxed)).filter(|&raw| raw != 0)
    }
}

/// The channel's call stacks, which the program writes once each.
#[derive(Debug)]
pub struct StackTable {
    entries: *const Stack,
    capacity: u64,
}

impl StackTable {
    /// The frames of stack `number`, innermost first, once the program has
    /// published it: return addresses, but for a fault's first frame,
    /// which is the instruction the signal stopped.
    pub fn frames(&self, number: u64) -> Option<Vec<u64>> {
        if number >= self.capacity {
            return None;
        }
        // SAFETY: `number` is within the table, which the channel's mapping
        // holds for as long as the channel lives; `depth` is an atomic.
        let entry = unsafe { &*self.entries.add(number as usize) };
        let depth = (entry.depth.load(Ordering::Acquire) as usize).min(STACK_FRAMES);
        // The frames were written before `depth` was published (release),
        // and never again after.
        (depth > 0).then(|| entry.frames[..depth].to_vec())
    }
}

// SAFETY: the mapping is shared memory owned by the Channel; its header is
// only touched through atomics, and the rings are read (their tails moved)
// by the one reader, which holds `&mut Channel`.
unsafe impl Send for Channel {}

impl Channel {
    /// A channel whose every ring has room for `ring_capacity` events
    /// (rounded up to a power of two).
    pub fn create(ring_capacity: usize) -> io::Result<Channel> {
        let ring_capacity = ring_capacity.max(2).next_power_of_two();
        let layout = Layout::of(ring_capacity);
        let bytes = layout.bytes;
        // SAFETY: a literal name; the flags ask for close-on-exec, which
        // `spawn` lifts for the recorded program only.
        let fd = unsafe { libc::memfd_create(CHANNEL_NAME.as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: memfd_create returned a new descriptor that nothing else owns.
        let memory = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: a descriptor we own; the size fits in off_t.
        if unsafe { libc::ftruncate(memory.as_raw_fd(), bytes as libc::off_t) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: maps the whole of the descriptor's `bytes`, shared, at an address
        // the kernel chooses; checked for failure below.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                bytes,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                memory.as_raw_fd(),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        #[expect(
            clippy::cast_ptr_alignment,
            reason = "mmap returns page-aligned memory; the site and stack tables start on multiples of 64"
        )]
        let (header, site_entries, entries) = (
            base.cast::<Header>(),
            base.cast::<u8>().wrapping_add(layout.sites).cast::<AtomicU64>(),
            base.cast::<u8>().wrapping_add(layout.stacks).cast::<Stack>(),
        );
        // SAFETY: the mapping is fresh (zeroed) and no other process has it
        // yet; these plain fields are written once, before anyone reads them.
        unsafe {
            (*header).magic = MAGIC;
            (*header).version = VERSION;
            (*header).ring_capacity = ring_capacity as u64;
            (*header).max_rings = MAX_RINGS as u64;
            (*header).site_capacity = SITES as u64;
            (*header).stack_capacity = STACKS as u64;
        }
        // SAFETY: the region is mapped, `bytes` long, its header written;
        // the reader checks the header against the size before it keeps it.
        let reader = NonNull::new(unsafe { sys::fs_record_reader_new(base, bytes) });
        let Some(reader) = reader else {
            // SAFETY: unmaps what was mapped above, which nothing else holds.
            unsafe { libc::munmap(base, bytes) };
            return Err(io::Error::other("the recording channel's layout is inconsistent"));
        };
        let stacks = StackTable { entries, capacity: STACKS as u64 };
        let sites = SiteAddresses { entries: site_entries, capacity: SITES as u64 };
        Ok(Channel { memory, header, reader, batch: Vec::with_capacity(BATCH), sites, stacks, bytes })
    }

    fn header(&self) -> &Header {
        // SAFETY: `header` starts a mapping of at least a Header, aligned to a
        // page, for as long as self lives; the fields others write are atomics.
        unsafe { &*self.header }
    }

    /// Starts `command` with the channel's descriptor inherited and named in
    /// its environment (`FFISCOPE_RECORD_FD`), and those of `followed`, for
    /// the processes it starts to claim one each, listed in
    /// `FFISCOPE_RECORD_FOLLOW`; and this process's pid, through whose
    /// descriptors a process can reach them if its own were closed
    /// (`FFISCOPE_RECORD_FROM`; `csrc/record/claim.c`).
    pub fn spawn(&self, command: &mut Command, followed: &[Channel]) -> io::Result<Child> {
        let fd: RawFd = self.memory.as_raw_fd();
        command.env("FFISCOPE_RECORD_FD", fd.to_string());
        // Where a process finds the channels when a program between closed
        // the descriptors it did not know: this process's, through /proc.
        command.env("FFISCOPE_RECORD_FROM", std::process::id().to_string());
        let inherited: Vec<RawFd> =
            std::iter::once(fd).chain(followed.iter().map(|channel| channel.memory.as_raw_fd())).collect();
        if followed.is_empty() {
            command.env_remove("FFISCOPE_RECORD_FOLLOW");
        } else {
            let list: Vec<String> = inherited[1..].iter().map(ToString::to_string).collect();
            command.env("FFISCOPE_RECORD_FOLLOW", list.join(","));
        }
        // SAFETY: between fork and exec the closure calls only fcntl, which is
        // async-signal-safe, on descriptors the child inherited; it reads a
        // Vec made before the fork and allocates nothing.
        unsafe {
            command.pre_exec(move || {
                for &fd in &inherited {
                    if libc::fcntl(fd, libc::F_SETFD, 0) == -1 {
                        return Err(io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
        command.spawn()
    }

    /// The program that records here, once a process has claimed the
    /// channel and written it whole; None while it is being written.
    pub fn program(&self) -> Option<RecordedProgram> {
        let header = self.header();
        let before = header.program_sequence.load(Ordering::Acquire);
        if before == 0 || before % 2 == 1 {
            return None;
        }
        let forked_from = i32::try_from(header.forked_from.load(Ordering::Relaxed)).ok().filter(|&pid| pid > 0);
        let program =
            RecordedProgram { path: text_of(&header.program), command: text_of(&header.command), forked_from };
        // The bytes read before the sequence is read again (a seqlock's reader).
        fence(Ordering::Acquire);
        (header.program_sequence.load(Ordering::Relaxed) == before).then_some(program)
    }

    pub fn state(&self) -> ChannelState {
        match self.header().state.load(Ordering::Acquire) {
            1 => ChannelState::Recording,
            2 => ChannelState::Finished,
            3 => ChannelState::HandedOver,
            4 => ChannelState::GivenBack,
            5 => ChannelState::LeftChecked,
            6 => ChannelState::FinishedInFrames,
            _ => ChannelState::Starting,
        }
    }

    /// Which program the recorded process is running: bumped each time it
    /// execs another (a shell or a wrapper script handing over), whose
    /// modules then start a new table.
    pub fn image(&self) -> u64 {
        self.header().image.load(Ordering::Acquire)
    }

    /// Ends the process that claimed the channel (SIGKILL), if it has not
    /// handed over its end: a followed process, when the recording is
    /// stopped. The caller makes sure the pid is still that process's (one
    /// killed before it ended leaves the channel recording, and its pid may
    /// have gone to another). True if the signal was sent.
    pub fn kill_recorder(&self) -> bool {
        let Some(pid) = self.recorded_pid() else { return false };
        if self.state() != ChannelState::Recording {
            return false;
        }
        // SAFETY: kill(2) takes plain integers and touches no memory of ours.
        unsafe { libc::kill(pid, libc::SIGKILL) == 0 }
    }

    /// The process that records into the channel, once one has claimed it.
    pub fn recorded_pid(&self) -> Option<i32> {
        Some(self.header().owner_pid.load(Ordering::Acquire)).filter(|&pid| pid > 0)
    }

    /// Makes the channel new, for another process to claim: its process
    /// writes no more into it (it handed over its last event, gave the
    /// channel back, or is gone), and every event of it has been read.
    /// The header's part the process wrote is zeroed, the rest of the
    /// region given back to the kernel (it reads as zeros again), and the
    /// channel freed last: no process claims it half made (a claim takes
    /// an owner of 0; meanwhile it is -1, which is no process's pid).
    pub fn recycle(&mut self) -> io::Result<()> {
        let header = self.header();
        header.owner_pid.store(-1, Ordering::Relaxed);
        // Everything after the owner is the process's (or the reader's) to write.
        let written_from = std::mem::offset_of!(Header, state);
        let rest_from = size_of::<Header>().next_multiple_of(64);
        // SAFETY: the header is this mapping's first `size_of::<Header>()`
        // bytes; the process that wrote them writes no more (it handed over
        // its last event, gave the channel back, or is gone), and no other
        // claims the channel while its owner is -1.
        unsafe {
            self.header.cast::<u8>().add(written_from).write_bytes(0, size_of::<Header>() - written_from);
        }
        let length = (self.bytes - rest_from) as libc::off_t;
        // SAFETY: a range of the descriptor we own; punching it frees its
        // pages, which every mapping then reads as zeros.
        let punched = unsafe {
            libc::fallocate(
                self.memory.as_raw_fd(),
                libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
                rest_from as libc::off_t,
                length,
            )
        };
        if punched != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the region is mapped, `bytes` long, its header whole; the
        // old reader, which nothing else holds, is freed once the new one is made.
        let reader = NonNull::new(unsafe { sys::fs_record_reader_new(self.header.cast(), self.bytes) })
            .ok_or_else(|| io::Error::other("the recording channel's layout is inconsistent"))?;
        // SAFETY: the reader `create` made (or the last recycle), not used again.
        unsafe { sys::fs_record_reader_free(self.reader.as_ptr()) };
        self.reader = reader;
        self.batch.clear();
        self.header().owner_pid.store(0, Ordering::Release);
        Ok(())
    }

    /// Merges up to `max` (at most a batch) of the program's waiting
    /// events out of its rings, in order; they are then [`Channel::batch`].
    /// Returns how many.
    pub fn read_events(&mut self, max: usize) -> usize {
        let wanted = max.min(BATCH);
        self.batch.clear();
        // SAFETY: the reader is this channel's, over its live mapping, used by
        // this one thread (`&mut self`); the batch has room for `wanted`
        // events, and the C side writes only as many as it returns.
        let taken = unsafe { sys::fs_record_drain(self.reader.as_ptr(), self.batch.as_mut_ptr(), wanted) };
        // SAFETY: fs_record_drain initialised the first `taken` (≤ wanted) events.
        unsafe { self.batch.set_len(taken.min(wanted)) };
        self.batch.len()
    }

    /// The events the last [`Channel::read_events`] merged.
    pub fn batch(&self) -> &[sys::fs_id_event] {
        &self.batch
    }

    /// What the sites of the events are.
    pub fn sites(&self) -> &SiteAddresses {
        &self.sites
    }

    /// The call stacks the events' sites may name.
    pub fn stacks(&self) -> &StackTable {
        &self.stacks
    }

    /// Tells the program that the first `count` modules of image `image`
    /// have been read: a process that execs waits for this before the new
    /// program's modules take the table's place (see `interpose.c`).
    pub fn modules_taken(&self, image: u64, count: usize) {
        self.header().modules_read.store(modules_read(image, count as u64), Ordering::Release);
    }

    /// Modules from index `from` on, as far as the program has published them.
    pub fn modules_from(&self, from: usize) -> Vec<LoadedModule> {
        let header = self.header();
        let count = (header.module_count.load(Ordering::Acquire) as usize).min(MODULES);
        (from..count)
            .map(|i| {
                let module = &header.modules[i];
                LoadedModule { start: module.start, end: module.end, bias: module.bias, path: path_text(&module.path) }
            })
            .collect()
    }

    /// The programs the recorded one started, which ran unrecorded (one
    /// process records): how many processes in all, and the first programs
    /// by path with how many of each, entries of one path added together.
    pub fn started_unrecorded(&self) -> StartedUnrecorded {
        let header = self.header();
        let claimed = (header.started_count.load(Ordering::Acquire) as usize).min(STARTED);
        let mut programs: Vec<(String, u64)> = Vec::new();
        for entry in &header.started[..claimed] {
            // Acquire: the path was written before the entry was published.
            if entry.written.load(Ordering::Acquire) != 1 {
                continue;
            }
            let (path, count) = (path_text(&entry.path), entry.count.load(Ordering::Relaxed));
            match programs.iter_mut().find(|(known, _)| *known == path) {
                Some((_, total)) => *total += count,
                None => programs.push((path, count)),
            }
        }
        StartedUnrecorded {
            processes: header.started_unrecorded.load(Ordering::Relaxed),
            programs,
            skipped: header.started_skipped.load(Ordering::Relaxed),
            forked: header.forked_unrecorded.load(Ordering::Relaxed),
        }
    }

    /// Whether the program's blocks are guarded (`record --guard`), and how
    /// many the guard had no room for.
    pub fn guard(&self) -> Option<u64> {
        let header = self.header();
        (header.guarded.load(Ordering::Relaxed) == 1).then(|| header.unguarded.load(Ordering::Relaxed))
    }

    /// Stacks the table had no room for: their sites are named by their first frame.
    pub fn stacks_dropped(&self) -> u64 {
        self.header().stacks_dropped.load(Ordering::Relaxed)
    }

    /// Mappings of the program's own the leak check had no room to keep,
    /// and so did not read: a block only they pointed to counts as lost.
    pub fn mappings_unread(&self) -> u64 {
        self.header().mappings_unread.load(Ordering::Relaxed)
    }

    /// Events lost: a ring of the program's was full for longer than it
    /// would wait for this reader.
    pub fn dropped(&self) -> u64 {
        // SAFETY: the reader is this channel's; counting only reads atomics.
        unsafe { sys::fs_record_dropped(self.reader.as_ptr()) }
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        // SAFETY: frees the reader, then unmaps exactly what `create` mapped;
        // nothing borrows either past self.
        unsafe {
            sys::fs_record_reader_free(self.reader.as_ptr());
            libc::munmap(self.header.cast::<libc::c_void>(), self.bytes);
        }
    }
}
