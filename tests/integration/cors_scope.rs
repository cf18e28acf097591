//! CORS conditions with `scope = "block"` (issue 12), over the projects
//! under `fixtures/cors-scope/`: a guard or a credentials header counts
//! only inside the `{…}` blocks that enclose the header it qualifies. A
//! guard in the next handler does not silence a reflection; a guard in the
//! same block, or in the header of the block (`if allowed(origin) {`, a
//! loop over an allowlist), does; credentials sent by another branch do not
//! make a wildcard branch CORS003, credentials sent after the block do.

use crate::support::assert_fixture_findings;

#[test]
fn a_guard_in_the_next_handler_does_not_silence_a_reflection() {
    // Handler /a echoes the Origin; only handler /b checks it.
    assert_fixture_findings("cors-scope/next-handler", &[("main.go", 6, "CORS002")]);
}

#[test]
fn a_guard_in_the_same_block_or_its_header_silences_the_reflection() {
    // `strings.HasSuffix` in the `if` around the header; a loop over the
    // allowlist with `if v == origin {` around the other.
    assert_fixture_findings("cors-scope/same-block", &[]);
}

#[test]
fn credentials_pair_with_the_branch_that_sends_them() {
    // The `*` branch sends no credentials (the allowlisted branch does):
    // CORS001. The other function sends both: CORS003.
    assert_fixture_findings(
        "cors-scope/branches",
        &[("main.go", 6, "CORS001"), ("main.go", 14, "CORS003")],
    );
}

#[test]
fn credentials_after_the_block_of_the_header_still_pair_with_it() {
    // The first handler sends credentials after the `if` that sets `*`
    // (the enclosing function block holds both); the second sends none.
    assert_fixture_findings(
        "cors-scope/outer-block",
        &[("server.js", 3, "CORS003"), ("server.js", 8, "CORS001")],
    );
}
