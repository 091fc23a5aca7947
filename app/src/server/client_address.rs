//! The client's address, for the per-address throttle and the security log. Behind a reverse
//! proxy every TCP peer is the proxy; only when the peer is one of `TRUSTED_PROXIES` is its
//! `X-Forwarded-For` believed. The entries are walked from the right (the nearest hop first):
//! the client is the first one that is not a trusted proxy. An entry that cannot be read ends
//! the walk, and the client is then the last hop that could be read: what lies further left was
//! written by someone no trusted proxy vouches for. Entries may carry a port (`ip:port`,
//! `[v6]:port`), as some proxies write them.

use std::net::{IpAddr, SocketAddr};

/// The client address of a request the server answers: its TCP peer (`ConnectInfo`, which the
/// server records for every connection), and `X-Forwarded-For` only through `trusted`. `None`
/// when no peer is known (a request built in a test, not read from a socket).
pub fn of_request(
    extensions: &http::Extensions,
    headers: &http::HeaderMap,
    trusted: &[ipnet::IpNet],
) -> Option<IpAddr> {
    let axum::extract::ConnectInfo(peer) = extensions.get::<axum::extract::ConnectInfo<SocketAddr>>()?;
    let forwarded = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
    Some(client_address(peer.ip(), forwarded, trusted))
}

pub fn client_address<'a>(
    peer: IpAddr,
    forwarded_for: impl Iterator<Item = &'a str>,
    trusted: &[ipnet::IpNet],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(&ip.to_canonical()));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded_for.flat_map(|header| header.split(',')).collect();
    let mut nearest = peer;
    for hop in hops.into_iter().rev() {
        let Some(address) = hop_address(hop.trim()) else { return nearest };
        if !is_trusted(&address) {
            return address;
        }
        nearest = address;
    }
    nearest
}

/// The client address as the access rules' `networks` judge it: `None` when the request's
/// address is one of the trusted proxies itself — no entry named anyone else (none at all, or
/// only proxies, or the walk stopped at an entry it could not read) — since who the client is
/// is then unknown, and an unknown address is in no network (fail closed).
pub fn for_networks(address: Option<IpAddr>, trusted: &[ipnet::IpNet]) -> Option<IpAddr> {
    address.filter(|address| !trusted.iter().any(|net| net.contains(&address.to_canonical())))
}

/// One `X-Forwarded-For` entry: an IP address, with or without a port.
fn hop_address(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>().ok().or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<ipnet::IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn only_a_trusted_proxy_is_believed() {
        let peer: IpAddr = "10.0.0.2".parse().unwrap();
        let forged = ["6.6.6.6, 203.0.113.7"];
        assert_eq!(client_address(peer, forged.into_iter(), &[]), peer, "no trusted proxies: the peer");
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(client_address(peer, forged.into_iter(), &trusted), "203.0.113.7".parse::<IpAddr>().unwrap());
        // Two proxies in a row: the right-most address that is not one of them.
        let chain = ["6.6.6.6, 203.0.113.7, 10.0.0.9"];
        assert_eq!(client_address(peer, chain.into_iter(), &trusted), "203.0.113.7".parse::<IpAddr>().unwrap());
        let outsider: IpAddr = "198.51.100.1".parse().unwrap();
        assert_eq!(
            client_address(outsider, forged.into_iter(), &trusted),
            outsider,
            "an untrusted peer's header is ignored"
        );
    }

    #[test]
    fn a_trusted_proxy_is_no_client_for_the_networks() {
        let trusted = nets(&["10.0.0.0/8"]);
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let found = |header: &str| for_networks(Some(client_address(proxy, [header].into_iter(), &trusted)), &trusted);
        assert_eq!(found("192.168.1.5, 10.0.0.9"), Some("192.168.1.5".parse().unwrap()));
        assert_eq!(found("10.0.0.9"), None, "only proxies");
        assert_eq!(found("6.6.6.6, unknown"), None, "the walk stopped at an entry it could not read");
        assert_eq!(for_networks(Some(proxy), &trusted), None, "the proxy, without a header");
        assert_eq!(for_networks(Some(proxy), &[]), Some(proxy), "no trusted proxies: the peer is the client");
        assert_eq!(for_networks(None, &trusted), None);
    }

    #[test]
    fn entries_with_ports_are_read() {
        let peer: IpAddr = "10.0.0.2".parse().unwrap();
        let trusted = nets(&["10.0.0.0/8"]);
        for (header, client) in [
            ("6.6.6.6, 203.0.113.7:4711", "203.0.113.7"),
            ("6.6.6.6, [2001:db8::7]:4711", "2001:db8::7"),
            ("6.6.6.6, 2001:db8::7", "2001:db8::7"),
            ("203.0.113.7:4711, 10.0.0.9:80", "203.0.113.7"),
        ] {
            assert_eq!(
                client_address(peer, [header].into_iter(), &trusted),
                client.parse::<IpAddr>().unwrap(),
                "{header}"
            );
        }
    }

    #[test]
    fn the_walk_stops_at_the_first_entry_it_cannot_read() {
        let peer: IpAddr = "10.0.0.2".parse().unwrap();
        let trusted = nets(&["10.0.0.0/8"]);
        // A client wrote "6.6.6.6" and garbage after it; the trusted proxy appended what it saw.
        assert_eq!(
            client_address(peer, ["6.6.6.6, unknown"].into_iter(), &trusted),
            peer,
            "nothing readable: the peer itself"
        );
        assert_eq!(
            client_address(peer, ["6.6.6.6, _hidden, 10.0.0.9"].into_iter(), &trusted),
            "10.0.0.9".parse::<IpAddr>().unwrap(),
            "the last hop that could be read, never the client's own entries beyond the gap"
        );
    }
}
