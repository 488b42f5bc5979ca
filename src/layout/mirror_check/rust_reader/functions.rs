//! A binding's functions: the `extern "C"` block's declarations of C's
//! functions, and the functions Rust defines for C to call
//! (`#[no_mangle] extern "C" fn`), each with the symbol it stands for.

use syn::spanned::Spanned as _;
use syn::{
    Attribute, FnArg, ForeignItem, ForeignItemFn, ItemFn, ItemForeignMod, Meta, Pat, ReturnType, Signature, Type,
};

use super::{Cfg, Reader, RustFile, RustType, cfg_of, position};
use crate::layout::lab::Target;

/// A function of the binding, on the targets its cfg holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RustFunction {
    /// Its name in Rust.
    pub name: String,
    /// The symbol it links to: its `link_name` or `export_name`, or its name.
    pub symbol: String,
    /// The symbols `#[cfg_attr(…, link_name = "…")]` give it where their
    /// cfgs hold (the libc crate's `__xpg_strerror_r` for `strerror_r`).
    pub link_names: Vec<(Cfg, String)>,
    pub parameters: Vec<RustParameter>,
    /// `None`: it returns nothing (`()`, or `!`).
    pub returns: Option<RustParameter>,
    /// `...` after the parameters.
    pub variadic: bool,
    /// Its ABI as written (`"C"`, `"system"`).
    pub abi: String,
    /// Rust defines it, for C to call; otherwise it declares C's.
    pub defined: bool,
    pub cfg: Option<Cfg>,
    /// Which of the files read together it is written in (0 for one file).
    pub file: usize,
    pub line: usize,
}

impl RustFunction {
    /// The symbol it links to on `target`.
    pub fn symbol_on(&self, target: Target) -> &str {
        self.link_names.iter().find(|(cfg, _)| cfg.holds(target)).map_or(&self.symbol, |(_, symbol)| symbol)
    }
}

/// A parameter or returned value: its name (`_` when it has none), its
/// type and the type as written, and the cfg a parameter is under (the
/// libc crate's `fseeko64` takes its offset as an `off64_t` or an `off_t`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RustParameter {
    pub name: String,
    pub ty: RustType,
    pub text: String,
    pub cfg: Option<Cfg>,
}

/// ABIs whose functions are not C's: nothing to compare.
const NOT_C: [&str; 3] = ["Rust", "rust-call", "rust-intrinsic"];

impl Reader<'_> {
    /// The functions an `extern "C" { … }` block declares, each also under the block's cfg.
    pub(super) fn foreign_functions(&self, block: &ItemForeignMod, file: &mut RustFile) {
        let abi = block.abi.name.as_ref().map_or_else(|| "C".to_owned(), syn::LitStr::value);
        if NOT_C.contains(&abi.as_str()) {
            return;
        }
        let outer = match cfg_of(&block.attrs) {
            Ok(cfg) => cfg,
            Err((span, message)) => return Reader::error(file, span, message),
        };
        for item in &block.items {
            let safe;
            let function = match item {
                ForeignItem::Fn(function) => function,
                ForeignItem::Verbatim(tokens) => match safe_function(tokens) {
                    Some(function) => {
                        safe = function;
                        &safe
                    }
                    None => continue,
                },
                _ => continue,
            };
            let cfg = match cfg_of(&function.attrs) {
                Ok(own) => both(outer.clone(), own),
                Err((span, message)) => {
                    Reader::error(file, span, message);
                    continue;
                }
            };
            let symbol = named_symbol(&function.attrs, "link_name");
            let mut read = self.function(&function.sig, symbol, (&abi, false), cfg);
            read.link_names = cfg_link_names(&function.attrs);
            file.functions.push(read);
        }
    }

    /// A function Rust defines with C's ABI under a symbol C can call it by.
    pub(super) fn defined_function(&self, function: &ItemFn, file: &mut RustFile) {
        let Some(abi) = &function.sig.abi else { return };
        let abi = abi.name.as_ref().map_or_else(|| "C".to_owned(), syn::LitStr::value);
        let exported = named_symbol(&function.attrs, "export_name");
        let unmangled = function.attrs.iter().any(|a| is_no_mangle(&a.meta));
        if NOT_C.contains(&abi.as_str()) || (exported.is_none() && !unmangled) {
            return;
        }
        match cfg_of(&function.attrs) {
            Ok(cfg) => file.functions.push(self.function(&function.sig, exported, (&abi, true), cfg)),
            Err((span, message)) => Reader::error(file, span, message),
        }
    }

    fn function(
        &self,
        signature: &Signature,
        symbol: Option<String>,
        (abi, defined): (&str, bool),
        cfg: Option<Cfg>,
    ) -> RustFunction {
        let name = signature.ident.to_string().trim_start_matches("r#").to_owned();
        let parameters = signature
            .inputs
            .iter()
            .filter_map(|input| match input {
                FnArg::Typed(typed) => {
                    // A cfg this cannot read leaves the parameter in, as the function's own would.
                    let cfg = cfg_of(&typed.attrs).ok().flatten();
                    Some(RustParameter { cfg, ..self.parameter(parameter_name(&typed.pat), &typed.ty) })
                }
                FnArg::Receiver(_) => None,
            })
            .collect();
        let returns = match &signature.output {
            ReturnType::Type(_, ty) if !matches!(**ty, Type::Never(_)) => {
                Some(self.parameter("return".to_owned(), ty)).filter(|r| r.ty != RustType::Unit)
            }
            _ => None,
        };
        RustFunction {
            symbol: symbol.unwrap_or_else(|| name.clone()),
            link_names: Vec::new(),
            name,
            parameters,
            returns,
            variadic: signature.variadic.is_some(),
            abi: abi.to_owned(),
            defined,
            cfg,
            file: 0,
            line: position(signature.ident.span()).0,
        }
    }

    fn parameter(&self, name: String, ty: &Type) -> RustParameter {
        RustParameter { name, ty: self.rust_type(ty), text: tidy(&self.text(ty.span())), cfg: None }
    }
}

/// A type as Rust code writes it, whether read as written or from a macro's
/// expansion, which spaces every token (`* mut * mut XExtData`).
fn tidy(text: &str) -> String {
    let mut tidied = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for (spaced, written) in [
        ("* mut ", "*mut "),
        ("* const ", "*const "),
        (" :: ", "::"),
        (":: ", "::"),
        ("< ", "<"),
        (" >", ">"),
        (" ,", ","),
        ("( ", "("),
        (" )", ")"),
        ("fn (", "fn("),
        ("& ", "&"),
    ] {
        tidied = tidied.replace(spaced, written);
    }
    tidied
}

/// Edition 2024's `pub safe fn abs(i: i32) -> i32;` inside an `unsafe
/// extern` block, which `syn` keeps as tokens: the function without its
/// `safe`, whose ABI it does not change.
fn safe_function(tokens: &proc_macro2::TokenStream) -> Option<ForeignItemFn> {
    let tokens: Vec<proc_macro2::TokenTree> = tokens.clone().into_iter().collect();
    let is_word = |at: usize, word: &str| matches!(tokens.get(at), Some(proc_macro2::TokenTree::Ident(i)) if i == word);
    let safe = (0..tokens.len()).find(|&at| is_word(at, "safe") && is_word(at + 1, "fn"))?;
    let without: proc_macro2::TokenStream =
        tokens.iter().enumerate().filter(|&(at, _)| at != safe).map(|(_, token)| token.clone()).collect();
    syn::parse2(without).ok()
}

/// Both cfgs, where there are two.
fn both(outer: Option<Cfg>, own: Option<Cfg>) -> Option<Cfg> {
    match (outer, own) {
        (Some(outer), Some(own)) => Some(Cfg::All(vec![outer, own])),
        (outer, own) => outer.or(own),
    }
}

/// A parameter's name as its pattern gives it: `_` for any other pattern.
fn parameter_name(pattern: &Pat) -> String {
    match pattern {
        Pat::Ident(ident) => ident.ident.to_string().trim_start_matches("r#").to_owned(),
        _ => "_".to_owned(),
    }
}

/// Each `#[cfg_attr(predicate, link_name = "…")]`: the predicate and the symbol.
fn cfg_link_names(attrs: &[Attribute]) -> Vec<(Cfg, String)> {
    let mut found = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("cfg_attr")) {
        let parsed = attr.parse_args_with(syn::punctuated::Punctuated::<Meta, syn::Token![,]>::parse_terminated);
        let Ok(parts) = parsed else { continue };
        let mut parts = parts.into_iter();
        let Some(Ok(cfg)) = parts.next().map(|predicate| Cfg::parse(&predicate)) else { continue };
        for part in parts {
            if let Meta::NameValue(pair) = &part
                && pair.path.is_ident("link_name")
                && let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. }) = &pair.value
            {
                found.push((cfg.clone(), text.value()));
            }
        }
    }
    found
}

/// `#[link_name = "…"]` or `#[export_name = "…"]` (also inside `unsafe(…)`).
fn named_symbol(attrs: &[Attribute], attribute: &str) -> Option<String> {
    attrs.iter().find_map(|attr| {
        unwrapped(&attr.meta, |meta| {
            let Meta::NameValue(pair) = meta else { return None };
            match &pair.value {
                syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. }) if pair.path.is_ident(attribute) => {
                    Some(text.value())
                }
                _ => None,
            }
        })
        .flatten()
    })
}

fn is_no_mangle(meta: &Meta) -> bool {
    unwrapped(meta, |meta| meta.path().is_ident("no_mangle")).unwrap_or(false)
}

/// `look` at the attribute itself: edition 2024 writes `#[unsafe(no_mangle)]`.
fn unwrapped<T>(meta: &Meta, look: impl Fn(&Meta) -> T) -> Option<T> {
    match meta {
        Meta::List(list) if list.path.is_ident("unsafe") => list.parse_args::<Meta>().ok().map(|inner| look(&inner)),
        other => Some(look(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::read_rust;
    use crate::layout::lab::Target;

    #[test]
    fn declared_and_defined_functions_are_read_with_their_symbols_and_cfgs() {
        let file = read_rust(
            r#"
            #[cfg(unix)]
            extern "C" {
                pub fn plain(a: c_int, _: *mut c_void) -> c_int;
                #[link_name = "real"]
                pub fn renamed(...);
                pub fn never() -> !;
                pub static COUNT: c_int;
            }
            extern "Rust" { fn not_c(); }
            unsafe extern "C" {
                pub safe fn abs_value(i: c_int) -> c_int;
                pub unsafe fn length_of(s: *const c_char) -> usize;
            }
            cfg_if::cfg_if! {
                if #[cfg(windows)] {
                    extern "system" { pub fn only_windows(); }
                }
            }
            #[unsafe(no_mangle)]
            pub extern "C" fn exported(x: u8) -> u8 { x }
            #[export_name = "named_so"]
            pub extern "C" fn exported_as(x: u8) {}
            pub extern "C" fn mangled() {}
            pub fn plain_rust() {}
            "#,
        );
        assert_eq!(file.errors, []);
        let symbols: Vec<&str> = file.functions.iter().map(|f| f.symbol.as_str()).collect();
        assert_eq!(
            symbols,
            ["plain", "real", "never", "abs_value", "length_of", "only_windows", "exported", "named_so"]
        );
        let plain = &file.functions[0];
        assert_eq!(plain.parameters.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["a", "_"]);
        assert_eq!(plain.returns.as_ref().map(|r| r.text.as_str()), Some("c_int"));
        assert!(
            plain.cfg.as_ref().is_some_and(|cfg| cfg.holds(Target::X86_64Linux) && !cfg.holds(Target::X86_64Windows))
        );
        assert!(file.functions[1].variadic && file.functions[1].name == "renamed");
        assert!(file.functions[2].returns.is_none(), "`!` returns nothing");
        assert_eq!(file.functions[3].parameters[0].text, "c_int", "a `safe fn` is read as any other");
        let windows = &file.functions[5];
        assert_eq!(windows.abi, "system");
        assert!(windows.cfg.as_ref().is_some_and(|cfg| !cfg.holds(Target::X86_64Linux)), "under its branch's cfg");
        assert!(file.functions[6].defined && file.functions[7].defined);
        assert_eq!(file.functions[6].line, 21);
    }
}
