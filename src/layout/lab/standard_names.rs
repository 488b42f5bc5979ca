//! The standard header that declares a well-known type name. A header that
//! uses `size_t` or `FILE` without including what declares them (libjpeg's
//! `jpeglib.h` is one) reads as an unknown type name; saying where the name
//! comes from turns that error into its fix.

/// The header of the C library or POSIX that declares the type `name`.
pub fn header_declaring(name: &str) -> Option<&'static str> {
    if is_stdint_name(name) {
        return Some("stdint.h");
    }
    Some(match name {
        "size_t" | "ptrdiff_t" | "wchar_t" | "max_align_t" => "stddef.h",
        "bool" => "stdbool.h",
        "FILE" | "fpos_t" => "stdio.h",
        "va_list" => "stdarg.h",
        "jmp_buf" | "sigjmp_buf" => "setjmp.h",
        "time_t" | "clock_t" | "timer_t" | "clockid_t" => "time.h",
        "ssize_t" | "off_t" | "off64_t" | "pid_t" | "uid_t" | "gid_t" | "mode_t" | "dev_t" | "ino_t" | "nlink_t"
        | "blksize_t" | "blkcnt_t" | "id_t" | "key_t" | "useconds_t" | "suseconds_t" => "sys/types.h",
        "sigset_t" | "sig_atomic_t" | "siginfo_t" | "stack_t" => "signal.h",
        "pthread_t"
        | "pthread_attr_t"
        | "pthread_mutex_t"
        | "pthread_mutexattr_t"
        | "pthread_cond_t"
        | "pthread_condattr_t"
        | "pthread_rwlock_t"
        | "pthread_once_t"
        | "pthread_key_t"
        | "pthread_spinlock_t" => "pthread.h",
        "socklen_t" | "sa_family_t" => "sys/socket.h",
        "in_addr_t" | "in_port_t" => "netinet/in.h",
        "wint_t" | "mbstate_t" => "wchar.h",
        "char16_t" | "char32_t" => "uchar.h",
        _ => return None,
    })
}

/// `int8_t` to `uint64_t`, their `_least` and `_fast` forms, `intptr_t`,
/// `intmax_t` and their unsigned twins.
fn is_stdint_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('u').unwrap_or(name).strip_prefix("int") else { return false };
    let Some(rest) = rest.strip_suffix("_t") else { return false };
    let width = rest.strip_prefix("_least").or_else(|| rest.strip_prefix("_fast")).unwrap_or(rest);
    matches!(width, "8" | "16" | "32" | "64") || (width == rest && matches!(rest, "ptr" | "max"))
}

#[cfg(test)]
mod tests {
    use super::header_declaring;

    #[test]
    fn names_the_header_of_standard_types_and_only_of_them() {
        assert_eq!(header_declaring("size_t"), Some("stddef.h"));
        assert_eq!(header_declaring("FILE"), Some("stdio.h"));
        assert_eq!(header_declaring("uint_least16_t"), Some("stdint.h"));
        assert_eq!(header_declaring("uintptr_t"), Some("stdint.h"));
        assert_eq!(header_declaring("int_fast64_t"), Some("stdint.h"));
        assert_eq!(header_declaring("pthread_mutex_t"), Some("pthread.h"));
        for name in ["int", "int_t", "uint128_t", "int_leastptr_t", "z_stream", "widget_t", "uintfoo_t"] {
            assert_eq!(header_declaring(name), None, "{name}");
        }
    }
}
