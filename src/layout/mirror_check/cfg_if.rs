//! The `cfg_if!` macro (of the `cfg-if` crate, and the libc crate's own
//! copy): `if #[cfg(a)] { … } else if #[cfg(b)] { … } else { … }`. Each
//! branch's items are in force where its cfg holds and no earlier one's
//! did, as the macro expands them.

use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Item, Token, braced};

/// One branch: its `#[cfg(…)]` (none for the final `else`) and its items.
pub struct Branch {
    pub cfg: Vec<Attribute>,
    pub items: Vec<Item>,
}

/// A whole `cfg_if!` invocation's branches, in order.
pub struct CfgIf(pub Vec<Branch>);

impl Parse for CfgIf {
    fn parse(input: ParseStream<'_>) -> syn::Result<CfgIf> {
        let mut branches = Vec::new();
        loop {
            let cfg = if input.peek(Token![if]) {
                input.parse::<Token![if]>()?;
                let cfg = Attribute::parse_outer(input)?;
                if cfg.len() != 1 || !cfg[0].path().is_ident("cfg") {
                    return Err(input.error("`cfg_if!` takes one `#[cfg(…)]` after `if`"));
                }
                cfg
            } else {
                Vec::new()
            };
            let final_else = cfg.is_empty();
            let body;
            braced!(body in input);
            let mut items = Vec::new();
            while !body.is_empty() {
                items.push(body.parse()?);
            }
            branches.push(Branch { cfg, items });
            if final_else || input.is_empty() {
                break;
            }
            input.parse::<Token![else]>()?;
        }
        if !input.is_empty() {
            return Err(input.error("nothing follows a `cfg_if!`'s final `else`"));
        }
        Ok(CfgIf(branches))
    }
}

#[cfg(test)]
mod tests {
    use super::CfgIf;

    #[test]
    fn every_branch_is_read_with_its_cfg() {
        let read: CfgIf = syn::parse_str(
            "if #[cfg(ossl300)] { pub struct A; } else if #[cfg(unix)] { pub struct B; pub struct C; } \
             else { pub struct D; }",
        )
        .expect("reads");
        let shape: Vec<(usize, usize)> = read.0.iter().map(|b| (b.cfg.len(), b.items.len())).collect();
        assert_eq!(shape, [(1, 1), (1, 2), (0, 1)]);
        assert!(syn::parse_str::<CfgIf>("if #[cfg(a)] { } else { } else { }").is_err());
        assert!(syn::parse_str::<CfgIf>("if #[derive(Debug)] { }").is_err());
    }
}
