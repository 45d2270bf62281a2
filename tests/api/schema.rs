//! `schema.graphql` must be exactly what `chatstream export-schema` prints.

#[test]
fn schema_file_matches_export() {
    let exported = chatstream::graphql::sdl();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == exported,
        "schema.graphql is stale: run `cargo run -- export-schema > schema.graphql`"
    );
}
