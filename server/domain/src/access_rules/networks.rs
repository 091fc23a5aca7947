//! `networks` in the access rules: address ranges (CIDR, IPv4 and IPv6; a bare address is that
//! one address, /32 or /128), named once in the top-level `[networks]` table and used by name in
//! rules and in `[default_policy_for_networks]`. They are matched on the client address the
//! server derived through `TRUSTED_PROXIES`; a request without a known address is in no network
//! (fail closed).

use ipnet::IpNet;
use std::{collections::BTreeMap, net::IpAddr};

/// A rule's networks: as written (for the operator) and as ranges (for the decision).
#[derive(Debug, Clone, Default)]
pub(super) struct Networks {
    written: Vec<String>,
    ranges: Vec<IpNet>,
}

impl Networks {
    /// Whether `from` lies in one of the ranges. No address is in none.
    pub(super) fn contain(&self, from: Option<IpAddr>) -> bool {
        from.is_some_and(|address| {
            // An IPv4 client seen on a dual-stack socket (`::ffff:192.168.1.5`) is that IPv4 client.
            let address = address.to_canonical();
            self.ranges.iter().any(|range| range.contains(&address))
        })
    }

    /// The networks as written: `lan 10.8.0.0/24`.
    pub(super) fn written(&self) -> String {
        self.written.join(" ")
    }
}

/// The `[networks]` table: each name's ranges.
#[derive(Debug, Default)]
pub(super) struct Named(BTreeMap<String, Networks>);

impl Named {
    /// Reads the table; the problem is said naming the network.
    pub(super) fn parse(table: BTreeMap<String, Vec<String>>) -> Result<Self, String> {
        let mut named = BTreeMap::new();
        for (name, entries) in table {
            if entries.is_empty() {
                return Err(format!("[networks] {name} lists no address range"));
            }
            let ranges = entries
                .iter()
                .map(|entry| range(entry).ok_or_else(|| format!("[networks] {name}: {}", not_a_range(entry))))
                .collect::<Result<_, _>>()?;
            let networks = Networks { written: entries, ranges };
            named.insert(name, networks);
        }
        Ok(Self(named))
    }

    /// Each name and its ranges, by name.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&String, &Networks)> {
        self.0.iter()
    }

    /// The ranges of the network called `name`.
    pub(super) fn get(&self, name: &str) -> Option<&Networks> {
        self.0.get(name)
    }

    /// A rule's `networks`: each entry a range or a name from the table.
    pub(super) fn resolve(&self, entries: Vec<String>) -> Result<Networks, String> {
        if entries.is_empty() {
            return Err("networks lists no network (leave it out to match every address)".into());
        }
        let mut ranges = Vec::new();
        for entry in &entries {
            match (range(entry), self.get(entry)) {
                (Some(range), _) => ranges.push(range),
                (None, Some(named)) => ranges.extend(named.ranges.iter().copied()),
                (None, None) => {
                    return Err(format!(
                        "the network {entry:?} is neither an address range (such as \"192.168.0.0/16\" or \"fd00::/8\") nor a name from [networks]"
                    ))
                }
            }
        }
        Ok(Networks { written: entries, ranges })
    }
}

/// `192.168.0.0/16`, `fd00::/8`, or a bare address (`192.168.1.5`, `::1`): that one address.
/// Host bits after the prefix are dropped (`192.168.1.5/16` is `192.168.0.0/16`).
fn range(text: &str) -> Option<IpNet> {
    let text = text.trim();
    let parsed = match text.parse::<IpNet>() {
        Ok(net) => net.trunc(),
        Err(_) => IpNet::from(text.parse::<IpAddr>().ok()?),
    };
    // One form for an IPv4 range written IPv4-mapped, as client addresses are compared.
    Some(match parsed {
        IpNet::V6(v6) => match v6.addr().to_ipv4_mapped() {
            Some(v4) if v6.prefix_len() >= 96 => {
                ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96).map_or(parsed, IpNet::V4)
            }
            _ => parsed,
        },
        v4 => v4,
    })
}

fn not_a_range(entry: &str) -> String {
    format!("{entry:?} is not an address range such as \"192.168.0.0/16\" or \"fd00::/8\", or an address")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn ranges_are_cidrs_or_single_addresses_in_both_families() {
        let named = Named::default();
        let networks = named
            .resolve(vec!["192.168.0.0/16".into(), "fd00::/8".into(), "203.0.113.7".into(), "2001:db8::1".into()])
            .unwrap();
        for inside in ["192.168.1.5", "192.168.255.255", "fd12:3456::1", "203.0.113.7", "2001:db8::1"] {
            assert!(networks.contain(address(inside)), "{inside}");
        }
        for outside in ["192.169.0.1", "10.0.0.1", "fe80::1", "203.0.113.8", "2001:db8::2"] {
            assert!(!networks.contain(address(outside)), "{outside}");
        }
    }

    #[test]
    fn an_ipv4_client_seen_on_a_dual_stack_socket_is_that_ipv4_client() {
        let networks = Named::default().resolve(vec!["192.168.0.0/16".into()]).unwrap();
        assert!(networks.contain(address("::ffff:192.168.1.5")));
        let mapped = Named::default().resolve(vec!["::ffff:10.0.0.0/104".into()]).unwrap();
        assert!(mapped.contain(address("10.1.2.3")), "a range written IPv4-mapped");
    }

    #[test]
    fn no_address_is_in_no_network() {
        let networks = Named::default().resolve(vec!["0.0.0.0/0".into(), "::/0".into()]).unwrap();
        assert!(networks.contain(address("8.8.8.8")));
        assert!(!networks.contain(None));
    }

    #[test]
    fn names_come_from_the_networks_table() {
        let table = BTreeMap::from([("lan".to_owned(), vec!["10.0.0.0/8".to_owned(), "fd00::/8".to_owned()])]);
        let named = Named::parse(table).unwrap();
        let networks = named.resolve(vec!["lan".into(), "198.51.100.0/24".into()]).unwrap();
        assert_eq!(networks.written(), "lan 198.51.100.0/24");
        assert!(networks.contain(address("10.9.8.7")));
        assert!(networks.contain(address("fd00::5")));
        assert!(networks.contain(address("198.51.100.9")));
        assert!(!networks.contain(address("192.168.1.1")));
        let unknown = named.resolve(vec!["wan".into()]).unwrap_err();
        assert!(unknown.starts_with("the network \"wan\" is neither an address range"), "{unknown}");
    }

    #[test]
    fn a_bad_range_is_refused_naming_it() {
        for bad in ["300.1.1.1/8", "10.0.0.0/33", "fd00::/129", "10.0.0.0/", "192.168.1"] {
            assert!(Named::default().resolve(vec![bad.into()]).is_err(), "{bad}");
            let table = BTreeMap::from([("lan".to_owned(), vec![bad.to_owned()])]);
            let error = Named::parse(table).unwrap_err();
            assert!(error.starts_with(&format!("[networks] lan: {bad:?} is not an address range")), "{error}");
        }
        let empty = BTreeMap::from([("lan".to_owned(), Vec::new())]);
        assert_eq!(Named::parse(empty).unwrap_err(), "[networks] lan lists no address range");
        assert!(Named::default().resolve(Vec::new()).is_err());
    }
}
