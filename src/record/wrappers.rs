//! Allocation wrappers: functions that allocate for their caller (`xmalloc`,
//! `g_strdup`, `sqlite3_malloc`, `Perl_safesysmalloc`) or free for it
//! (`g_free`). The call to `malloc` inside one is the same line for every
//! block the program makes through it, so a block is named by the wrapper's
//! caller instead, as it is by the program's own line rather than Rust's
//! `RawVec`. Known by name: the wrappers of well-known libraries and tools
//! below, any function whose name ends in `malloc`, `calloc`, `realloc`,
//! `zalloc`, `strdup` or `strndup` (`safe_malloc`, `sqlite3Malloc`,
//! `emalloc`), Rust's calls into a global allocator of the program's own,
//! and those the user names (`--alloc-fn`).

use super::suppressions::matches;

/// Wrappers by name, with how a block one made is given back where that is
/// not plain `free` (`None`: the library's own way, or `free`).
const KNOWN: &[(&str, Option<&str>)] = &[
    // GLib.
    ("g_malloc", Some("`g_free`")),
    ("g_malloc0", Some("`g_free`")),
    ("g_malloc_n", Some("`g_free`")),
    ("g_malloc0_n", Some("`g_free`")),
    ("g_realloc", Some("`g_free`")),
    ("g_realloc_n", Some("`g_free`")),
    ("g_try_malloc", Some("`g_free`")),
    ("g_try_malloc0", Some("`g_free`")),
    ("g_try_realloc", Some("`g_free`")),
    ("g_strdup", Some("`g_free`")),
    ("g_strndup", Some("`g_free`")),
    ("g_memdup", Some("`g_free`")),
    ("g_memdup2", Some("`g_free`")),
    ("g_strdup_printf", Some("`g_free`")),
    ("g_strdup_vprintf", Some("`g_free`")),
    ("g_vasprintf", Some("`g_free`")),
    ("g_strconcat", Some("`g_free`")),
    ("g_strjoin", Some("`g_free`")),
    ("g_strjoinv", Some("`g_free`")),
    ("g_slice_alloc", Some("`g_slice_free1`")),
    ("g_slice_alloc0", Some("`g_slice_free1`")),
    ("g_free", None),
    // gnulib (coreutils, tar, grep), libiberty (gcc, binutils), git, bash.
    ("xmalloc", Some("`free`")),
    ("xzalloc", Some("`free`")),
    ("xcalloc", Some("`free`")),
    ("xrealloc", Some("`free`")),
    ("xnmalloc", Some("`free`")),
    ("xnrealloc", Some("`free`")),
    ("x2realloc", Some("`free`")),
    ("x2nrealloc", Some("`free`")),
    ("xcharalloc", Some("`free`")),
    ("xreallocarray", Some("`free`")),
    ("xpalloc", Some("`free`")),
    ("ximalloc", Some("`free`")),
    ("xicalloc", Some("`free`")),
    ("xirealloc", Some("`free`")),
    ("xizalloc", Some("`free`")),
    ("xmemdup", Some("`free`")),
    ("ximemdup", Some("`free`")),
    ("ximemdup0", Some("`free`")),
    ("xmemdupz", Some("`free`")),
    ("xmallocz", Some("`free`")),
    ("xmallocz_gently", Some("`free`")),
    ("do_xmalloc", Some("`free`")),
    ("xstrdup", Some("`free`")),
    ("xstrndup", Some("`free`")),
    ("xasprintf", Some("`free`")),
    ("xvasprintf", Some("`free`")),
    ("sh_xmalloc", Some("`free`")),
    ("sh_xrealloc", Some("`free`")),
    ("xfree", None),
    // Perl.
    ("Perl_safesysmalloc", Some("`Safefree`")),
    ("Perl_safesyscalloc", Some("`Safefree`")),
    ("Perl_safesysrealloc", Some("`Safefree`")),
    ("Perl_savepv", Some("`Safefree`")),
    ("Perl_savepvn", Some("`Safefree`")),
    ("Perl_savesharedpv", Some("`PerlMemShared_free`")),
    ("Perl_savesharedpvn", Some("`PerlMemShared_free`")),
    ("Perl_safesysfree", None),
    // CPython.
    ("PyMem_RawMalloc", Some("`PyMem_RawFree`")),
    ("PyMem_RawCalloc", Some("`PyMem_RawFree`")),
    ("PyMem_RawRealloc", Some("`PyMem_RawFree`")),
    ("_PyMem_RawMalloc", Some("`PyMem_RawFree`")),
    ("_PyMem_RawCalloc", Some("`PyMem_RawFree`")),
    ("_PyMem_RawRealloc", Some("`PyMem_RawFree`")),
    ("_PyMem_RawStrdup", Some("`PyMem_RawFree`")),
    ("PyMem_Malloc", Some("`PyMem_Free`")),
    ("PyMem_Calloc", Some("`PyMem_Free`")),
    ("PyMem_Realloc", Some("`PyMem_Free`")),
    ("_PyMem_Strdup", Some("`PyMem_Free`")),
    ("PyObject_Malloc", Some("`PyObject_Free`")),
    ("PyObject_Calloc", Some("`PyObject_Free`")),
    ("PyObject_Realloc", Some("`PyObject_Free`")),
    ("_PyObject_Malloc", Some("`PyObject_Free`")),
    ("_PyObject_Calloc", Some("`PyObject_Free`")),
    ("_PyObject_Realloc", Some("`PyObject_Free`")),
    ("PyMem_RawFree", None),
    ("PyMem_Free", None),
    ("PyObject_Free", None),
    // OpenSSL.
    ("CRYPTO_malloc", Some("`OPENSSL_free`")),
    ("CRYPTO_zalloc", Some("`OPENSSL_free`")),
    ("CRYPTO_realloc", Some("`OPENSSL_free`")),
    ("CRYPTO_clear_realloc", Some("`OPENSSL_clear_free`")),
    ("CRYPTO_strdup", Some("`OPENSSL_free`")),
    ("CRYPTO_strndup", Some("`OPENSSL_free`")),
    ("CRYPTO_memdup", Some("`OPENSSL_free`")),
    ("CRYPTO_free", None),
    ("CRYPTO_clear_free", None),
    // SQLite.
    ("sqlite3_malloc", Some("`sqlite3_free`")),
    ("sqlite3_malloc64", Some("`sqlite3_free`")),
    ("sqlite3_realloc", Some("`sqlite3_free`")),
    ("sqlite3_realloc64", Some("`sqlite3_free`")),
    ("sqlite3_mprintf", Some("`sqlite3_free`")),
    ("sqlite3_vmprintf", Some("`sqlite3_free`")),
    ("sqlite3Malloc", Some("`sqlite3_free`")),
    ("sqlite3MallocZero", Some("`sqlite3_free`")),
    ("sqlite3Realloc", Some("`sqlite3_free`")),
    ("sqlite3MemMalloc", None),
    ("sqlite3MemRealloc", None),
    ("sqlite3DbMallocRaw", None),
    ("sqlite3DbMallocRawNN", None),
    ("sqlite3DbMallocZero", None),
    ("sqlite3DbRealloc", None),
    ("sqlite3DbStrDup", None),
    ("sqlite3DbStrNDup", None),
    ("sqlite3_free", None),
    ("sqlite3MemFree", None),
    // SDL.
    ("SDL_malloc", Some("`SDL_free`")),
    ("SDL_calloc", Some("`SDL_free`")),
    ("SDL_realloc", Some("`SDL_free`")),
    ("SDL_strdup", Some("`SDL_free`")),
    ("SDL_strndup", Some("`SDL_free`")),
    ("SDL_free", None),
    // FFmpeg.
    ("av_malloc", Some("`av_free`")),
    ("av_mallocz", Some("`av_free`")),
    ("av_calloc", Some("`av_free`")),
    ("av_realloc", Some("`av_free`")),
    ("av_malloc_array", Some("`av_free`")),
    ("av_realloc_array", Some("`av_free`")),
    ("av_strdup", Some("`av_free`")),
    ("av_strndup", Some("`av_free`")),
    ("av_memdup", Some("`av_free`")),
    ("av_asprintf", Some("`av_free`")),
    ("av_free", None),
    ("av_freep", None),
    // libpng, libxml2, Tcl, Lua.
    ("png_malloc", Some("`png_free`")),
    ("png_calloc", Some("`png_free`")),
    ("png_malloc_warn", Some("`png_free`")),
    ("png_malloc_base", Some("`png_free`")),
    ("png_malloc_array", Some("`png_free`")),
    ("png_free", None),
    ("xmlStrdup", Some("`xmlFree`")),
    ("xmlStrndup", Some("`xmlFree`")),
    ("xmlCharStrdup", Some("`xmlFree`")),
    ("xmlCharStrndup", Some("`xmlFree`")),
    ("Tcl_Alloc", Some("`Tcl_Free`")),
    ("Tcl_AttemptAlloc", Some("`Tcl_Free`")),
    ("Tcl_Realloc", Some("`Tcl_Free`")),
    ("TclpAlloc", Some("`Tcl_Free`")),
    ("Tcl_Free", None),
    ("l_alloc", None),
    ("luaM_malloc_", None),
    ("luaM_realloc_", None),
    ("luaM_saferealloc_", None),
    ("luaM_growaux_", None),
    // Rust's calls into a `#[global_allocator]` of the program's own (a
    // counting wrapper around `System`): what runs inside is the
    // allocator's, and the block is the line's that called it.
    ("__rust_alloc", None),
    ("__rust_alloc_zeroed", None),
    ("__rust_realloc", None),
    ("__rust_dealloc", None),
    ("__rg_alloc", None),
    ("__rg_alloc_zeroed", None),
    ("__rg_realloc", None),
    ("__rg_dealloc", None),
];

/// The endings that make a function an allocation wrapper by its name alone.
const ALLOCATING_ENDINGS: &[&str] = &["malloc", "calloc", "realloc", "zalloc", "strdup", "strndup"];

/// The allocation wrappers of a recording: the known ones and the user's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wrappers {
    /// The user's patterns (`--alloc-fn`), each matched against a whole
    /// function name, `*` any run of characters: kept anchored at both
    /// ends (`^my_alloc$`), as `suppressions::matches` takes them.
    patterns: Vec<String>,
}

impl Wrappers {
    /// The user's wrappers from `--alloc-fn`'s text: names or patterns
    /// separated by commas (`my_alloc,pool_*`). A pattern with a character
    /// no function name has is refused, with the pattern.
    pub fn parse(text: &str) -> Result<Wrappers, String> {
        let mut patterns = Vec::new();
        for pattern in text.split(',').map(str::trim).filter(|pattern| !pattern.is_empty()) {
            if let Some(bad) = pattern.chars().find(|&c| !(c.is_alphanumeric() || "_:*<>$.".contains(c))) {
                return Err(format!("`{pattern}`: `{bad}` is in no function's name (names and `*` only)"));
            }
            patterns.push(format!("^{pattern}$"));
        }
        Ok(Wrappers { patterns })
    }

    /// Whether the frame or site named so is in an allocation wrapper.
    pub fn contains(&self, frame: &str) -> bool {
        let function = function_of(frame);
        known(function).is_some()
            || allocates_by_its_name(function)
            || self.patterns.iter().any(|pattern| matches(pattern, function))
    }
}

/// How a block the wrapper named so made is given back, where its library says.
pub fn releaser_of(frame: &str) -> Option<&'static str> {
    known(function_of(frame)).and_then(|&(_, releaser)| releaser)
}

/// The known wrapper named so, with its releaser.
fn known(function: &str) -> Option<&'static (&'static str, Option<&'static str>)> {
    // Rust's allocator shims, as their symbols name them (`__rustc::__rust_alloc`).
    let function = function.strip_prefix("__rustc::").unwrap_or(function);
    KNOWN.iter().find(|(name, _)| *name == function)
}

/// A function named to allocate: `xmalloc`, `safe_strdup`, `sqlite3Malloc`.
fn allocates_by_its_name(function: &str) -> bool {
    // Its own name, not its namespace's or its parameters'.
    let name = function.split('(').next().unwrap_or(function);
    let name = name.rsplit("::").next().unwrap_or(name).trim_end_matches('_').to_ascii_lowercase();
    ALLOCATING_ENDINGS.iter().any(|ending| name.ends_with(ending))
}

/// A frame's or site's function: `xmalloc` of `near xmalloc (git+0x1f2a0)`
/// and of `xmalloc (wrapper.c:41)`.
pub fn function_of(frame: &str) -> &str {
    let frame = frame.strip_prefix("near ").unwrap_or(frame);
    match frame.rsplit_once(" (") {
        Some((function, place)) if place.ends_with(')') => function,
        _ => frame,
    }
}

#[cfg(test)]
mod tests {
    use super::{Wrappers, function_of, releaser_of};

    #[test]
    fn wrappers_are_known_by_name_by_ending_and_by_the_users_patterns() {
        let wrappers = Wrappers::parse(" pool_get , arena_* ").unwrap();
        for wrapper in [
            "near xmalloc (git+0x1f2a0)",
            "g_strdup (gstrfuncs.c:362)",
            "near Perl_safesysmalloc (perl+0xf6f95)",
            "safe_malloc (util.c:9)",
            "sqlite3Malloc",
            "luaM_malloc_",
            "pool_get (pool.c:4)",
            "arena_new_block",
            "__rustc::__rust_alloc (app.rs:9)",
        ] {
            assert!(wrappers.contains(wrapper), "{wrapper}");
        }
        for own in ["main (prog.c:5)", "malloc_stats_print", "pool_get_stats", "near make_list (prog+0x1139)"] {
            assert!(!wrappers.contains(own), "{own}");
        }
        assert_eq!(releaser_of("near g_strdup (libglib-2.0.so.0+0x7a1b0)"), Some("`g_free`"));
        assert_eq!(releaser_of("safe_malloc (util.c:9)"), None);
        assert_eq!(function_of("operator new(unsigned long) (new_op.cc:50)"), "operator new(unsigned long)");
        assert_eq!(
            Wrappers::parse("my alloc").unwrap_err(),
            "`my alloc`: ` ` is in no function's name (names and `*` only)"
        );
    }
}
