//! The `|cidr` modifier: IPv4 and IPv6 networks.

use std::net::IpAddr;

/// A network: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    net: IpAddr,
    prefix: u32,
}

impl Cidr {
    /// Parses `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a single host).
    pub(crate) fn parse(text: &str) -> Result<Cidr, String> {
        let bad = || format!("{text:?} is not a CIDR network (like 10.0.0.0/8 or 2001:db8::/32)");
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text.trim(), None),
        };
        let net: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u32>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(bad)?,
            None => max,
        };
        Ok(Cidr { net, prefix })
    }

    /// Whether `text` is an address inside this network.
    pub(crate) fn contains(&self, text: &str) -> bool {
        let Ok(addr) = text.trim().parse::<IpAddr>() else {
            return false;
        };
        match (self.net, addr) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - self.prefix).unwrap_or(0);
                u32::from(net) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - self.prefix).unwrap_or(0);
                u128::from(net) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_table() {
        for (net, addr, want) in [
            ("10.0.0.0/8", "10.1.2.3", true),
            ("10.0.0.0/8", "11.1.2.3", false),
            ("0.0.0.0/0", "203.0.113.9", true),
            ("192.0.2.7", "192.0.2.7", true),
            ("192.0.2.7/32", "192.0.2.8", false),
            ("2001:db8::/32", "2001:db8:1::1", true),
            ("2001:db8::/32", "2001:db9::1", false),
            ("::/0", "::1", true),
            ("10.0.0.0/8", "AWS Internal", false),
            ("10.0.0.0/8", "::ffff:10.0.0.1", false),
        ] {
            assert_eq!(
                Cidr::parse(net).unwrap().contains(addr),
                want,
                "{net} {addr}"
            );
        }
        for bad in ["10.0.0.0/33", "banana", "10.0.0.0/x", "::/129"] {
            assert!(
                Cidr::parse(bad)
                    .unwrap_err()
                    .contains("is not a CIDR network"),
                "{bad}"
            );
        }
    }
}
