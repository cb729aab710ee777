use super::*;

#[test]
fn default_places_follow_the_environment() {
    let home = Path::new("/home/ana");
    let places = default_locations(Some(home), None, None, None);
    assert_eq!(
        places,
        [
            PathBuf::from("/home/ana/.local/share/opencode"),
            PathBuf::from("/home/ana/.local/share/goose/sessions"),
        ]
    );
    let places = default_locations(Some(home), Some("/data"), Some("beta.db"), Some("/g"));
    assert_eq!(
        places,
        [
            PathBuf::from("/data/opencode/beta.db"),
            PathBuf::from("/g/data/sessions"),
        ]
    );
    let places = default_locations(None, None, Some("/abs/opencode.db"), None);
    assert_eq!(places, [PathBuf::from("/abs/opencode.db")]);
}

#[test]
fn a_folder_names_the_database_it_holds() {
    let dir = tempfile::tempdir().expect("dir");
    let spec = SourceSpec::Path(dir.path().to_path_buf());
    assert_eq!(locate(&spec), None);
    let opencode = |name: &str| {
        Connection::open(dir.path().join(name))
            .and_then(|c| {
                c.execute_batch("CREATE TABLE message (id TEXT); CREATE TABLE part (id TEXT);")
            })
            .expect("create");
    };
    opencode("opencode-beta.db");
    assert_eq!(locate(&spec), Some(dir.path().join("opencode-beta.db")));
    // A file of that name that holds no agent's tables leaves the folder a folder of logs.
    std::fs::write(dir.path().join("opencode.db"), "").expect("write");
    assert_eq!(locate(&spec), None);
    std::fs::remove_file(dir.path().join("opencode.db")).expect("remove");
    opencode("opencode.db");
    assert_eq!(locate(&spec), Some(dir.path().join("opencode.db")));
    let file = SourceSpec::Path(dir.path().join("later.db"));
    assert_eq!(locate(&file), Some(dir.path().join("later.db")));
    let log = SourceSpec::Path(dir.path().join("usage.jsonl"));
    assert_eq!(locate(&log), None);
}
