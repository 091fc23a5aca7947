//! The client's address, for the per-address throttle and the security log. Behind a reverse
//! proxy every TCP peer is the proxy; only when the peer is one of `TRUSTED_PROXIES` is its
//! `X-Forwarded-For` believed: the client is the right-most entry that is not a trusted proxy
//! (entries further left were written by the client itself and prove nothing).

use std::net::IpAddr;

pub fn client_address<'a>(
    peer: IpAddr,
    forwarded_for: impl Iterator<Item = &'a str>,
    trusted: &[ipnet::IpNet],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(&ip.to_canonical()));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = forwarded_for
        .flat_map(|header| header.split(','))
        .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
        .collect();
    hops.into_iter().rev().find(|hop| !is_trusted(hop)).unwrap_or(peer)
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
}
