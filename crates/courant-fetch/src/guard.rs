//! Refusal of private, loopback, link-local and other non-public targets.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// A target address that the configuration does not allow.
#[derive(Debug, Clone, thiserror::Error)]
#[error("refused non-public address {addr} for host {host:?} (set fetch.allow_private to allow)")]
pub struct BlockedAddress {
    /// Host as written in the URL.
    pub host: String,
    /// The address it is or resolved to.
    pub addr: IpAddr,
}

/// True for addresses on the public internet.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let seg = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (seg[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (seg[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation
                || (seg[0] == 0x0064 && seg[1] == 0xff9b) // NAT64 can reach private v4
                || v6 == Ipv6Addr::from(1u128))
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0 // "this network"
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // carrier-grade NAT 100.64/10
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking 198.18/15
        || o[0] >= 240) // reserved
}

/// Checks a URL whose host is an IP literal (or `localhost`).
pub(crate) fn check_url_literal(url: &url::Url) -> Result<(), BlockedAddress> {
    let host = url.host_str().unwrap_or_default().to_string();
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(url::Host::Domain(d)) if is_localhost(d) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        _ => return Ok(()),
    };
    if is_public_ip(ip) {
        Ok(())
    } else {
        Err(BlockedAddress { host, addr: ip })
    }
}

/// `localhost` and its subdomains (RFC 6761), in any case, with or without
/// the root's trailing dot: refused before any DNS query.
fn is_localhost(domain: &str) -> bool {
    let d = domain.trim_end_matches('.').to_ascii_lowercase();
    d == "localhost" || d.ends_with(".localhost")
}

/// Resolves with the system resolver, then drops every non-public address.
/// A name with only non-public addresses fails with [`BlockedAddress`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = addrs
                .iter()
                .copied()
                .filter(|a| is_public_ip(a.ip()))
                .collect();
            if public.is_empty() {
                if let Some(first) = addrs.first() {
                    let err: Box<dyn std::error::Error + Send + Sync> = Box::new(BlockedAddress {
                        host,
                        addr: first.ip(),
                    });
                    return Err(err);
                }
            }
            let it: Addrs = Box::new(public.into_iter());
            Ok(it)
        })
    }
}
