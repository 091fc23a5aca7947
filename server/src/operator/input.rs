//! What a command reads from standard input (a password, a key: never the command line).

/// The first line of standard input, without its line ending.
pub fn first_line_of_stdin() -> String {
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    line.trim_end_matches(['\r', '\n']).to_owned()
}
