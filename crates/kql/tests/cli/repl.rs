//! The interactive shell, driven in a real terminal: each test starts
//! `kql repl` in its own tmux server (a private socket), types or pastes
//! input, and reads the screen. Tests are skipped, with a note, when tmux is
//! not installed.

use std::cell::Cell;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use kql::compare::ExpectedTable;

use super::{read, root};

/// How long to wait for something to show on the screen.
const WAIT: Duration = Duration::from_secs(30);

/// The name of the tmux session inside each private server.
const SESSION: &str = "kql";

/// Told on the screen when the shell ends, with its exit code.
const EXITED: &str = "[kql exited with";

/// `kql repl` running in a private tmux server; the server (and so `kql`)
/// is killed on drop, also when the test fails.
struct Shell {
    /// The server's socket, inside `home`, so it goes away with it.
    socket: PathBuf,
    /// HOME and the cache folder of the child, so history stays in here.
    home: tempfile::TempDir,
    /// Inputs ended with Enter so far: the shell shows one prompt more.
    submitted: Cell<usize>,
}

impl Shell {
    /// Starts `kql repl ARGS` in the project root and waits for the first
    /// prompt; `None` (after printing a note) when tmux is missing.
    fn start(args: &[&str]) -> Option<Shell> {
        if !Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success()) {
            eprintln!("skipped: tmux is not installed (CI installs it: apt-get install tmux)");
            return None;
        }
        let home = tempfile::tempdir().expect("temp home");
        let shell = Shell { socket: home.path().join("tmux.sock"), home, submitted: Cell::new(0) };
        let cache = shell.home.path().join("cache");
        let mut command: Vec<String> = vec![
            "new-session".into(),
            "-d".into(),
            "-s".into(),
            SESSION.into(),
            "-x".into(),
            "250".into(),
            "-y".into(),
            "60".into(),
            "-c".into(),
            root().display().to_string(),
            "env".into(),
            format!("HOME={}", shell.home.path().display()),
            format!("XDG_CACHE_HOME={}", cache.display()),
            "NO_COLOR=1".into(),
            "sh".into(),
            "-c".into(),
            // Keep the pane open after `kql` ends so the screen can be read.
            format!("\"$0\" \"$@\"; echo \"{EXITED} $?]\"; sleep 600"),
            env!("CARGO_BIN_EXE_kql").into(),
            "repl".into(),
        ];
        command.extend(args.iter().map(|a| a.to_string()));
        let out = shell.tmux(&command.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(out.status.success(), "tmux new-session: {}", String::from_utf8_lossy(&out.stderr));
        shell.wait_ready();
        Some(shell)
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX")
            .stdin(Stdio::null())
            .output()
            .expect("run tmux")
    }

    /// Presses keys, in tmux's names (`Enter`, `Tab`, `C-c`).
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", SESSION];
        args.extend_from_slice(keys);
        let out = self.tmux(&args);
        assert!(out.status.success(), "send-keys: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Sends `text` as if typed (each line end is an Enter), or as a
    /// bracketed paste, which the shell receives in one piece.
    fn paste(&self, text: &str, bracketed: bool) {
        let file = self.home.path().join("paste.txt");
        std::fs::write(&file, text).expect("write paste buffer");
        let file = file.display().to_string();
        let out = self.tmux(&["load-buffer", "-b", "input", &file]);
        assert!(out.status.success(), "load-buffer: {}", String::from_utf8_lossy(&out.stderr));
        let mut args = vec!["paste-buffer", "-d", "-b", "input", "-t", SESSION];
        if bracketed {
            args.push("-p");
        }
        let out = self.tmux(&args);
        assert!(out.status.success(), "paste-buffer: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Presses the keys that end an input (its Enter or Enters).
    fn submit(&self, keys: &[&str]) {
        self.keys(keys);
        self.submitted.set(self.submitted.get() + 1);
    }

    /// Types one input line by line and runs it: a query with Enter on an
    /// empty line, a dot-command with Enter. Waits for the prompt first, as
    /// a user would.
    fn run(&self, text: &str) {
        self.wait_ready();
        self.paste(text, false);
        if text.starts_with('.') {
            self.submit(&["Enter"]);
        } else {
            self.submit(&["Enter", "Enter"]);
        }
    }

    /// Everything on the screen and in its scrollback, wrapped lines joined.
    fn screen(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p", "-J", "-S", "-", "-t", SESSION]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The visible part of the screen.
    fn visible(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p", "-t", SESSION]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Polls the screen until `done` holds; fails the test with the screen
    /// after [`WAIT`].
    fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(start.elapsed() < WAIT, "timed out waiting for {what}; the screen:\n{screen}");
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until `text` shows on the screen.
    fn expect(&self, text: &str) -> String {
        self.wait_until(&format!("`{text}`"), |s| s.contains(text))
    }

    /// Waits until the shell shows the empty prompt that follows the last
    /// input. Keys sent earlier could be lost: rustyline reads ahead and
    /// drops what came after the Enter that ended an input.
    fn wait_ready(&self) {
        let start = Instant::now();
        loop {
            let prompts = self.screen().lines().filter(|l| l.starts_with("kql>")).count();
            let visible = self.visible();
            let last = visible.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
            if prompts > self.submitted.get() && last.trim_end() == "kql>" {
                return;
            }
            assert!(
                start.elapsed() < WAIT,
                "timed out waiting for the prompt; the screen:\n{}",
                self.screen()
            );
            thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Shell {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// The CSV block the shell printed under `header_start`, as a table.
fn printed_csv(screen: &str, header_start: &str) -> ExpectedTable {
    let lines: Vec<&str> = screen
        .lines()
        .skip_while(|l| !l.starts_with(header_start))
        .take_while(|l| !l.starts_with('(') && !l.starts_with("kql>"))
        .collect();
    assert!(!lines.is_empty(), "no CSV block starting with `{header_start}` on the screen:\n{screen}");
    ExpectedTable::from_csv(&lines.join("\n")).expect("printed CSV parses")
}

/// DeviceName, ThreatIntelligenceIP and LocalPort of each row, sorted.
fn key_cells(table: &ExpectedTable) -> Vec<Vec<String>> {
    let index = |name: &str| table.columns.iter().position(|c| c == name).expect("column present");
    let wanted = [index("DeviceName"), index("ThreatIntelligenceIP"), index("LocalPort")];
    let mut rows: Vec<Vec<String>> =
        table.rows.iter().map(|r| wanted.iter().map(|&i| r[i].clone()).collect()).collect();
    rows.sort();
    rows
}

/// Pastes a reference query from the portal and checks the rows printed.
fn reference_query_runs_as_one_input(form: &str, time_column: &str, rows: usize, bracketed: bool) {
    let data = format!("testdata/{form}");
    let Some(shell) = Shell::start(&["--data", &data]) else { return };
    shell.run(".format csv");
    shell.wait_ready();
    shell.paste(&read(&format!("queries/{form}.kql")), bracketed);
    shell.submit(&["Enter"]);

    let count_line = format!("({rows} rows)");
    let screen = shell.wait_until(&count_line, |s| s.contains(&count_line) || s.contains("kql::"));
    let printed = printed_csv(&screen, &format!("{time_column},DeviceName,ThreatIntelligenceIP,LocalPort"));
    let expected =
        ExpectedTable::from_csv(&read(&format!("queries/{form}.expected.csv"))).expect("expected csv");
    assert_eq!(printed.rows.len(), rows, "screen:\n{screen}");
    assert_eq!(printed.columns, expected.columns);
    assert_eq!(key_cells(&printed), key_cells(&expected));
}

#[test]
fn repl_runs_the_pasted_defender_query() {
    // A bracketed paste: the terminal hands over the whole query at once.
    reference_query_runs_as_one_input("defender", "Timestamp", 8, true);
}

#[test]
fn repl_runs_the_sentinel_query_typed_line_by_line() {
    // A plain paste: every line end is an Enter, as in terminals without
    // bracketed paste; the query still runs only after the empty line.
    reference_query_runs_as_one_input("sentinel", "TimeGenerated", 9, false);
}

#[test]
fn repl_completes_a_column_name() {
    let Some(shell) = Shell::start(&["--data", "testdata/defender"]) else { return };
    shell.keys(&["-l", "DeviceInfo | where IsInternetF"]);
    shell.keys(&["Tab"]);
    shell.wait_until("the completed name", |s| s.contains("DeviceInfo | where IsInternetFacing"));
    // The completed query runs: a wrong name would print a diagnostic.
    shell.keys(&["-l", " | count"]);
    shell.submit(&["Enter", "Enter"]);
    let screen = shell.wait_until("the count", |s| s.contains("(1 row)") || s.contains("kql::"));
    assert!(screen.contains("DeviceInfo | where IsInternetFacing | count"), "screen:\n{screen}");
    assert!(!screen.contains("kql::"), "screen:\n{screen}");
}

#[test]
fn repl_goes_on_after_an_error() {
    let Some(shell) = Shell::start(&["--data", "testdata/defender"]) else { return };
    shell.run("DeviceInfo\n| where IsInternetFacng");
    // The diagnostic: its code, then a message that names the column.
    shell.wait_until("the diagnostic", |s| {
        s.find("kql::plan::unknown_column").is_some_and(|at| s[at..].contains("IsInternetFacng"))
    });

    shell.run("DeviceInfo | take 2 | count");
    shell.wait_until("the count after the error", |s| {
        s.find("kql::plan::unknown_column").is_some_and(|at| s[at..].contains("Count\n-----\n2\n(1 row)"))
    });

    shell.run(".quit");
    shell.expect(&format!("{EXITED} 0]"));
}

#[test]
fn repl_keeps_lets_for_later_queries() {
    let Some(shell) = Shell::start(&["--data", "testdata/defender"]) else { return };
    shell.run("let Port = 3389;\nlet Facing = DeviceInfo | where IsInternetFacing;");
    shell.wait_until("the names defined", |s| {
        s.contains("defined: Port, Facing\n") || s.contains("defined: Facing, Port\n")
    });

    shell.run("print p = Port + 1");
    shell.expect("p\n----\n3390\n(1 row)");
    shell.run(".format csv");
    shell.run("Facing | take 1 | project IsInternetFacing");
    shell.expect("IsInternetFacing\ntrue\n(1 row)");

    // A failed query keeps the lets defined before it.
    shell.run("let Port = NoSuchName + 1;\nprint Port");
    shell.expect("kql::plan::");
    shell.run("print q = Port");
    shell.expect("q\n3389\n(1 row)");

    shell.wait_ready();
    shell.keys(&["C-d"]);
    shell.expect(&format!("{EXITED} 0]"));
    if cfg!(target_os = "linux") {
        // `XDG_CACHE_HOME` is the cache folder on Linux only.
        let history =
            std::fs::read_to_string(shell.home.path().join("cache/kql/history")).unwrap_or_default();
        assert!(history.contains("print p = Port + 1"), "history in the cache folder: {history:?}");
    }
}

#[test]
fn repl_dot_commands() {
    let Some(shell) = Shell::start(&[]) else { return };
    shell.run(".tables");
    shell.expect("no tables");
    let file: PathBuf = root().join("testdata/defender/DeviceInfo.csv");
    shell.run(&format!(".load \"{}\" as Devices", file.display()));
    shell.expect("loaded Devices\n");
    shell.run(".schema Devices");
    shell.wait_until("the schema", |s| {
        s.lines().any(|l| l.split_whitespace().eq(["IsInternetFacing", "bool"]))
    });
    shell.run(".schema devices");
    shell.expect("no table `devices`; did you mean `Devices`?");
    shell.run(".format xml");
    shell.expect("unknown format `xml`");
    shell.run("Devices | count");
    shell.expect("(1 row)");
}
