//! The build.rs front door refuses every file of the corpus's refused files
//! (`codegen/corpus/refused`) with an error naming the file and the text of its
//! `// refused` line. `scripts/codegen-corpus.sh` checks protoc and the plugin front door too.

use std::path::Path;

use connect_codegen::Config;

#[test]
fn refused_files_are_refused_with_their_wording() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/refused");
    let out = std::env::temp_dir().join(format!("connect-codegen-refused-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "proto"))
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_owned())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for name in &files {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let want = text
            .lines()
            .find_map(|l| {
                l.strip_prefix("// refused: ")
                    .or_else(|| l.strip_prefix("// refused (protoc accepts): "))
            })
            .unwrap_or_else(|| panic!("{name} has no '// refused' line"));
        let err = match Config::new().out_dir(&out).compile_protos(&[name], &[&dir]) {
            Ok(()) => panic!("{name}: accepted"),
            Err(e) => e.to_string(),
        };
        assert!(
            err.contains(name.as_str()) && err.contains(want),
            "{name}: the error does not name the file and '{want}': {err}"
        );
    }
    std::fs::remove_dir_all(&out).unwrap();
}
