//! The query string hash (`qsh`): binds a token to one method, path and query.
//!
//! The algorithm follows docs/CONNECT.md §4.4 exactly. Every vector in that section is a unit test
//! below, because a single byte of difference means every request from Jira is rejected.

use std::borrow::Cow;

/// The fixed `qsh` of context tokens from `AP.context.getToken()`. It is compared as a string;
/// it is not a hash.
pub const CONTEXT_QSH: &str = "context-qsh";

/// The canonical request string: `METHOD&path&query`.
///
/// `context_path` is the path part of the base URL that the request was addressed under: the
/// app's `baseUrl` for host→app requests, the site's context path for app→Jira requests (empty on
/// Cloud). The query must be the raw query string, as it appeared on the wire.
pub fn canonical_request(
    method: &str,
    path: &str,
    raw_query: Option<&str>,
    context_path: &str,
) -> String {
    // One buffer, borrowed parameters where nothing was escaped: this runs on every request.
    let raw_query = raw_query.unwrap_or("");
    let mut out = String::with_capacity(method.len() + path.len() + raw_query.len() + 16);
    for c in method.chars() {
        out.push(c.to_ascii_uppercase());
    }
    out.push('&');
    push_canonical_uri(path, context_path, &mut out);
    out.push('&');
    push_canonical_query(raw_query, &mut out);
    out
}

/// The lower-case hex SHA-256 of the canonical request.
pub fn qsh(method: &str, path: &str, raw_query: Option<&str>, context_path: &str) -> String {
    hash_canonical(&canonical_request(method, path, raw_query, context_path))
}

/// The `qsh` of a full URL, for callers that hold a URL rather than its parts.
pub fn qsh_for_url(method: &str, url: &url::Url, context_path: &str) -> String {
    qsh(method, url.path(), url.query(), context_path)
}

pub fn hash_canonical(canonical: &str) -> String {
    hex::encode(
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes()).as_ref(),
    )
}

fn push_canonical_uri(path: &str, context_path: &str, out: &mut String) {
    let mut relative = strip_context_path(path, context_path);
    if relative.len() > 1 && relative.ends_with('/') {
        relative = &relative[..relative.len() - 1];
    }
    if !relative.starts_with('/') {
        out.push('/');
    }
    if relative == "/" || relative.is_empty() {
        if relative == "/" {
            out.push('/');
        }
        return;
    }
    for c in relative.chars() {
        if c == '&' {
            out.push_str("%26");
        } else {
            out.push(c);
        }
    }
}

/// Removes the context path only on a segment boundary: `/connect` is a prefix of
/// `/connect/installed` but not of `/connector`.
fn strip_context_path<'a>(path: &'a str, context_path: &str) -> &'a str {
    let context_path = context_path.trim_end_matches('/');
    if context_path.is_empty() {
        return path;
    }
    match path.strip_prefix(context_path) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
        _ => path,
    }
}

/// Names sorted by code point, each name's values sorted and joined with `,`. Sorting the
/// (name, value) pairs once gives exactly that order.
fn push_canonical_query(raw_query: &str, out: &mut String) {
    if raw_query.is_empty() {
        return;
    }
    let mut params: Vec<(Cow<'_, str>, Cow<'_, str>)> =
        url::form_urlencoded::parse(raw_query.as_bytes())
            .filter(|(name, _)| name != "jwt")
            .collect();
    params.sort_unstable();
    let mut previous: Option<&str> = None;
    for (name, value) in &params {
        if previous == Some(name.as_ref()) {
            out.push(',');
        } else {
            if previous.is_some() {
                out.push('&');
            }
            percent_encode_into(name, out);
            out.push('=');
            previous = Some(name.as_ref());
        }
        percent_encode_into(value, out);
    }
}

/// RFC 3986 percent-encoding of UTF-8 with upper-case hex; only unreserved characters pass.
fn percent_encode_into(input: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in input.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(byte >> 4)] as char);
            out.push(HEX[usize::from(byte & 0x0f)] as char);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (method, url, app base path, canonical request, qsh) from docs/CONNECT.md §4.4.
    const VECTORS: &[(&str, &str, &str, &str, &str)] = &[
        (
            "GET",
            "http://localhost:2990/path/to/service?zee_last=param&repeated=parameter 1&first=param&repeated=parameter 2",
            "",
            "GET&/path/to/service&first=param&repeated=parameter%201,parameter%202&zee_last=param",
            "e52bb281606c3bd9ca16cfe96fe2df78f5d9ffa126f06befd750dfa10fa1a897",
        ),
        (
            "get",
            "https://example.atlassian.net/rest/api/3/search?jql=project%20%3D%20AM&startAt=0&maxResults=50",
            "",
            "GET&/rest/api/3/search&jql=project%20%3D%20AM&maxResults=50&startAt=0",
            "effe2d4f1915dd19366b7fcde074c5ef3a5c5f144c8bab6b603d6315aea917df",
        ),
        (
            "GET",
            "https://example.atlassian.net/rest/api/3/issue/AM-1",
            "",
            "GET&/rest/api/3/issue/AM-1&",
            "3a0437ee197b9bc4e5a56d1ab1b43df1e9065ba3d0c5502ec204711148c3c0e6",
        ),
        (
            "POST",
            "https://example.atlassian.net/rest/api/3/search",
            "",
            "POST&/rest/api/3/search&",
            "1cde4539b66bfa5382f303a85c5788fa2a7220142d588b3a64f9b0fa9f1e90b9",
        ),
        (
            "POST",
            "https://app.example.com/installed",
            "",
            "POST&/installed&",
            "4a2e1de8ca74e6cafe8862d332fa3ac7a8e51e692bc6d798ea4dfedc14948bf4",
        ),
        (
            "POST",
            "https://app.example.com/connect/installed",
            "/connect",
            "POST&/installed&",
            "4a2e1de8ca74e6cafe8862d332fa3ac7a8e51e692bc6d798ea4dfedc14948bf4",
        ),
        (
            "GET",
            "https://app.example.com/connect/",
            "/connect",
            "GET&/&",
            "c88caad15a1c1a900b8ac08aa9686f4e8184539bea1deda36e2f649430df3239",
        ),
        (
            "GET",
            "https://app.example.com/installed",
            "",
            "GET&/installed&",
            "e081bb94b11229fd4065234ad384f743994b63f0bbb45dc72d902054bf639cc5",
        ),
        (
            "GET",
            "https://app.example.com/panel/?a=1&A=2&b=3&B=4",
            "",
            "GET&/panel&A=2&B=4&a=1&b=3",
            "037701c9c13af8ce2e2a53df690141c47cbd16e96e309c33c53f1061dbbbb67c",
        ),
        (
            "GET",
            "https://app.example.com/panel?xdm_e=https%3A%2F%2Fexample.atlassian.net&xdm_c=channel-x&cp=&xdm_deprecated_addon_key_do_not_use=am&lic=none&cv=1001.0.0&issueKey=AM-1&jwt=IGNORED",
            "",
            "GET&/panel&cp=&cv=1001.0.0&issueKey=AM-1&lic=none&xdm_c=channel-x&xdm_deprecated_addon_key_do_not_use=am&xdm_e=https%3A%2F%2Fexample.atlassian.net",
            "4472145fa2973a04aadc05b197eb734f36436f6c8a5ed7c070cf284c4dbbec6c",
        ),
        (
            "GET",
            "https://app.example.com/some/path&a=b?x=y",
            "",
            "GET&/some/path%26a=b&x=y",
            "33773f1290a00ce5d1cf61a6d4ba8f2c4cea6b9af83efa923ca1364582efb660",
        ),
        (
            "GET",
            "https://app.example.com/p?q=a+b&r=a%2Bb&s=*~&t=%E2%82%AC",
            "",
            "GET&/p&q=a%20b&r=a%2Bb&s=%2A~&t=%E2%82%AC",
            "b6c1ec9e0deeeb3729fdfd160c508429c843a2f5bc42d4a0cd4261ae0f87fe8e",
        ),
        (
            "GET",
            "https://app.example.com/p?empty=&flag",
            "",
            "GET&/p&empty=&flag=",
            "31ee084e71d3bf00d8f44713c41c8cf426c3d3622c28f62fcfa55269503ec5dc",
        ),
        (
            "DELETE",
            "https://example.atlassian.net/rest/atlassian-connect/1/addons/am-key/properties/config",
            "",
            "DELETE&/rest/atlassian-connect/1/addons/am-key/properties/config&",
            "2740072865bc7c89476c53930173a01c811f6751095614b84c5fd8ae58fa3ee9",
        ),
        (
            "POST",
            "https://app.example.com/webhooks/issue-updated?issueKey=AM-1",
            "",
            "POST&/webhooks/issue-updated&issueKey=AM-1",
            "28caafb2136b4036b83434c58489cc33a1539e1e4959d688a7046047fedd51eb",
        ),
    ];

    /// Splits a URL by hand rather than with `url::Url`, which would re-encode spaces and `&` in
    /// the path: the vectors are defined on the raw request line.
    fn split(url: &str) -> (&str, Option<&str>) {
        let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
        let path_and_query = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
        match path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path_and_query, None),
        }
    }

    #[test]
    fn every_protocol_vector_matches_byte_for_byte() {
        for (method, url, base, canonical, hash) in VECTORS {
            let (path, query) = split(url);
            assert_eq!(
                canonical_request(method, path, query, base),
                *canonical,
                "canonical form of {url}"
            );
            assert_eq!(qsh(method, path, query, base), *hash, "qsh of {url}");
        }
    }

    #[test]
    fn java_canonicalizer_vectors() {
        assert_eq!(
            canonical_request("GET", "/and/more", Some("foo=bah"), ""),
            "GET&/and/more&foo=bah"
        );
        assert_eq!(
            canonical_request("PUT", "/simple", Some("foo=bah"), ""),
            "PUT&/simple&foo=bah"
        );
        assert_eq!(
            canonical_request("POST", "/simple", Some("foo=humbug&foo=bah"), ""),
            "POST&/simple&foo=bah,humbug"
        );
        assert_eq!(
            canonical_request(
                "GET",
                "/and/more/",
                Some("foo=humbug&foo=bah&first=param1&last=param%202&last=param%201"),
                ""
            ),
            "GET&/and/more&first=param1&foo=bah,humbug&last=param%201,param%202"
        );
        assert_eq!(
            canonical_request("GET", "/some/path", Some("foo=bah%20bah"), ""),
            "GET&/some/path&foo=bah%20bah"
        );
        assert_eq!(
            canonical_request("GET", "/some/path", Some("foo=bah%2Bbah"), ""),
            "GET&/some/path&foo=bah%2Bbah"
        );
    }

    #[test]
    fn haskell_doctest_vector() {
        assert_eq!(
            qsh("GET", "/path/to/service", Some("a=1&A=2&b=3&B=4"), ""),
            "70282c7cf82834bd5a3d6dacda1b4ccd5cf5860a63a1fa2fb86b64d576e6a1d5"
        );
    }

    #[test]
    fn sha256_sanity() {
        assert_eq!(
            hash_canonical("foo"),
            "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
        );
    }

    #[test]
    fn context_path_only_strips_whole_segments() {
        assert_eq!(
            canonical_request("GET", "/connector/x", None, "/connect"),
            "GET&/connector/x&"
        );
        assert_eq!(
            canonical_request("GET", "/connect", None, "/connect/"),
            "GET&/&"
        );
        assert_eq!(canonical_request("GET", "", None, ""), "GET&/&");
    }
}
