//! The client's address behind reverse proxies. A forwarding header is believed only as far as
//! it was written by proxies we trust: walking it from the right (the hop nearest to us), each
//! trusted hop vouches for the one before it, and the first untrusted hop is the client. With
//! no trusted proxies the headers are ignored, so a client cannot choose its own address.

use std::net::IpAddr;

use ipnet::IpNet;

/// Which header the trusted proxies write. Only one is read: a proxy that manages one of them
/// passes the other through untouched, so reading both would let a client spoof the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, Caddy, HAProxy, Traefik, cloud balancers).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=proxy1`.
    Forwarded,
}

impl ForwardedHeader {
    pub fn name(self) -> &'static str {
        match self {
            ForwardedHeader::XForwardedFor => "x-forwarded-for",
            ForwardedHeader::Forwarded => "forwarded",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Some(ForwardedHeader::XForwardedFor),
            "forwarded" => Some(ForwardedHeader::Forwarded),
            _ => None,
        }
    }
}

/// The proxies whose forwarding header is believed (`STAGEPAD_TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    networks: Vec<IpNet>,
    header: ForwardedHeader,
}

impl TrustedProxies {
    pub fn new(networks: Vec<IpNet>, header: ForwardedHeader) -> Self {
        Self { networks, header }
    }

    /// A comma- or space-separated list of addresses and CIDR ranges (`10.0.0.0/8, ::1`).
    pub fn parse(list: &str, header: ForwardedHeader) -> Result<Self, String> {
        let networks = list
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|entry| !entry.is_empty())
            .map(parse_network)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { networks, header })
    }

    pub fn header(&self) -> ForwardedHeader {
        self.header
    }

    pub fn is_empty(&self) -> bool {
        self.networks.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.networks.iter().any(|net| net.contains(&ip))
    }
}

fn parse_network(entry: &str) -> Result<IpNet, String> {
    let parsed = if entry.contains('/') {
        entry.parse::<IpNet>().ok().map(|net| net.trunc())
    } else {
        entry.parse::<IpAddr>().ok().map(IpNet::from)
    };
    parsed.ok_or_else(|| {
        format!(
            "{entry:?} is not an IP address or a CIDR range (such as 10.0.0.0/8, 192.168.1.10 or fd00::/8)"
        )
    })
}

/// The client's address: `peer` (who connected to us) unless it is a trusted proxy, then the
/// first untrusted hop of the forwarding header read from the right. `header_values` are the
/// header's lines in the order received. A hop that is not an address (`unknown`, an obfuscated
/// name, garbage) ends the walk at the last address a trusted proxy vouched for.
pub fn client_address(
    peer: Option<IpAddr>,
    proxies: &TrustedProxies,
    header_values: &[&str],
) -> Option<IpAddr> {
    let mut client = peer?.to_canonical();
    if !proxies.trusts(client) {
        return Some(client);
    }
    let hops: Vec<&str> = header_values
        .iter()
        .flat_map(|line| line.split(','))
        .map(str::trim)
        .filter(|hop| !hop.is_empty())
        .collect();
    for hop in hops.into_iter().rev() {
        let node = match proxies.header {
            ForwardedHeader::XForwardedFor => Some(hop),
            ForwardedHeader::Forwarded => forwarded_for(hop),
        };
        match node.and_then(parse_node) {
            Some(ip) => {
                client = ip.to_canonical();
                if !proxies.trusts(client) {
                    return Some(client);
                }
            }
            None => return Some(client),
        }
    }
    Some(client)
}

/// The `for=` value of one RFC 7239 element (`for=192.0.2.1;proto=https`), unquoted.
fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("for")
            .then(|| value.trim().trim_matches('"'))
    })
}

/// An address with or without a port: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]:4711`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        let (inside, _port) = rest.split_once(']')?;
        return inside.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6);
    }
    let (host, port) = node.split_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    fn xff(list: &str) -> TrustedProxies {
        TrustedProxies::parse(list, ForwardedHeader::XForwardedFor).unwrap()
    }

    #[test]
    fn ranges_parse_for_ipv4_and_ipv6_and_bare_addresses_are_single_hosts() {
        let p = xff("10.0.0.0/8, 192.168.1.10 fd00::/8,::1");
        assert!(p.trusts("10.200.3.4".parse().unwrap()));
        assert!(!p.trusts("11.0.0.1".parse().unwrap()));
        assert!(p.trusts("192.168.1.10".parse().unwrap()));
        assert!(!p.trusts("192.168.1.11".parse().unwrap()));
        assert!(p.trusts("fd12:3456::1".parse().unwrap()));
        assert!(!p.trusts("fe80::1".parse().unwrap()));
        assert!(p.trusts("::1".parse().unwrap()));
        // Host bits in a range are dropped rather than refused.
        assert!(xff("10.1.2.3/16").trusts("10.1.200.1".parse().unwrap()));
        assert!(xff("").is_empty());
    }

    #[test]
    fn bad_entries_are_refused_with_the_entry_named() {
        for bad in [
            "10.0.0.0/33",
            "proxy.local",
            "10.0.0",
            "::1/129",
            "10.0.0.0/",
        ] {
            let err = TrustedProxies::parse(bad, ForwardedHeader::XForwardedFor).unwrap_err();
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn without_trusted_proxies_headers_are_ignored() {
        let none = TrustedProxies::default();
        assert_eq!(
            client_address(ip("10.0.0.5"), &none, &["6.6.6.6"]),
            ip("10.0.0.5")
        );
        assert_eq!(client_address(None, &none, &["6.6.6.6"]), None);
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_sends() {
        let p = xff("10.0.0.0/8");
        assert_eq!(
            client_address(ip("203.0.113.9"), &p, &["6.6.6.6"]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn the_walk_skips_trusted_hops_from_the_right_and_stops_at_the_first_untrusted() {
        let p = xff("10.0.0.0/8");
        // The client put 6.6.6.6 there itself; the proxies appended the rest.
        let header = ["6.6.6.6, 203.0.113.5", "10.0.0.7"];
        assert_eq!(
            client_address(ip("10.0.0.1"), &p, &header),
            ip("203.0.113.5")
        );
        // No header: the proxy itself.
        assert_eq!(client_address(ip("10.0.0.1"), &p, &[]), ip("10.0.0.1"));
        // Every hop trusted: the leftmost (an internal caller).
        assert_eq!(
            client_address(ip("10.0.0.1"), &p, &["10.9.9.9"]),
            ip("10.9.9.9")
        );
    }

    #[test]
    fn an_unreadable_hop_stops_at_the_last_vouched_address() {
        let p = xff("10.0.0.0/8");
        assert_eq!(
            client_address(ip("10.0.0.1"), &p, &["203.0.113.5, unknown"]),
            ip("10.0.0.1")
        );
        assert_eq!(
            client_address(ip("10.0.0.1"), &p, &["garbage, 10.0.0.2"]),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn ports_brackets_and_mapped_addresses_are_understood() {
        let p = xff("10.0.0.0/8, fd00::/8");
        assert_eq!(
            client_address(ip("10.0.0.1"), &p, &["203.0.113.5:4711"]),
            ip("203.0.113.5")
        );
        assert_eq!(
            client_address(ip("10.0.0.1"), &p, &["[2001:db8::7]:443"]),
            ip("2001:db8::7")
        );
        assert_eq!(
            client_address(ip("fd00::1"), &p, &["2001:db8::8"]),
            ip("2001:db8::8")
        );
        // A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d.
        assert_eq!(
            client_address(ip("::ffff:10.0.0.1"), &p, &["::ffff:203.0.113.5"]),
            ip("203.0.113.5")
        );
    }

    #[test]
    fn the_forwarded_header_is_read_by_its_for_parameter() {
        let p = TrustedProxies::parse("10.0.0.0/8", ForwardedHeader::Forwarded).unwrap();
        let header = [
            r#"for=6.6.6.6, For="[2001:db8:cafe::17]:4711";proto=https"#,
            "for=10.0.0.3;by=10.0.0.1",
        ];
        assert_eq!(
            client_address(ip("10.0.0.1"), &p, &header),
            ip("2001:db8:cafe::17")
        );
        assert_eq!(
            client_address(ip("10.0.0.1"), &p, &["for=_hidden, for=10.0.0.2"]),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_address(ip("10.0.0.1"), &p, &["proto=https"]),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn the_header_setting_is_one_of_two_names() {
        assert_eq!(
            ForwardedHeader::parse("X-Forwarded-For"),
            Some(ForwardedHeader::XForwardedFor)
        );
        assert_eq!(
            ForwardedHeader::parse("forwarded"),
            Some(ForwardedHeader::Forwarded)
        );
        assert_eq!(ForwardedHeader::parse("x-real-ip"), None);
    }
}
