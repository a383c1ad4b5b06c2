//! One pass over a JUnit XML document with quick-xml: the test cases it
//! reports (counted, failures kept with their text) and the same document
//! with every secret replaced, for the copy kept in the suite directory.
//!
//! Text and attribute values are read with their entities resolved
//! (junit-parser drops entities in text, see FACTS.md) and redacted whole,
//! so a secret split by `&amp;`, a character reference or CDATA is still
//! found. Which lines of a failure are decisive is `decisive.rs`'s job.

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

use crate::run::process::redact::Redactor;

/// A failing (or erroring) test case, every string redacted.
#[derive(Debug, Clone, Default)]
pub struct FailedCase {
    /// `name` attribute.
    pub name: String,
    /// `classname` attribute.
    pub classname: Option<String>,
    /// `message` attribute of its `<failure>` or `<error>`.
    pub message: String,
    /// Text of its `<failure>` or `<error>` (the first 64 KiB).
    pub text: String,
    /// Text of its `<system-err>` (the last 64 KiB).
    pub system_err: String,
    /// Text of its `<system-out>` (the last 64 KiB).
    pub system_out: String,
}

/// What one document reports.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Test cases.
    pub total: u64,
    /// Without `<failure>`, `<error>` or `<skipped>`.
    pub passed: u64,
    /// With `<failure>` or `<error>`.
    pub failed: u64,
    /// With `<skipped>` (and no failure).
    pub skipped: u64,
    /// The first `keep` failing cases.
    pub failures: Vec<FailedCase>,
    /// The document, secrets replaced, comments, processing instructions
    /// and DOCTYPE left out, characters XML 1.0 forbids dropped.
    pub redacted: String,
}

/// At most this much text is kept per captured element.
const MAX_TEXT: usize = 64 << 10;

/// Which text of the current case is being read.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Capture {
    Failure,
    SystemOut,
    SystemErr,
}

/// The test case being read.
#[derive(Debug, Default)]
struct Case {
    /// Element depth of its `<testcase>`.
    depth: usize,
    failed: bool,
    skipped: bool,
    detail: FailedCase,
}

/// Reading state: the open elements, the case, text not yet written.
struct Reader<'r> {
    redactor: &'r Redactor,
    keep: usize,
    out: Parsed,
    depth: usize,
    case: Option<Case>,
    capture: Option<(Capture, usize)>,
    pending: String,
}

/// Reads `xml`, keeping the first `keep` failures.
pub fn read(xml: &str, redactor: &Redactor, keep: usize) -> Result<Parsed, quick_xml::Error> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut state = Reader {
        redactor,
        keep,
        out: Parsed::default(),
        depth: 0,
        case: None,
        capture: None,
        pending: String::new(),
    };
    state
        .out
        .redacted
        .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    loop {
        match reader.read_event()? {
            Event::Start(e) => {
                state.flush();
                state.open(&e, false)?;
            }
            Event::Empty(e) => {
                state.flush();
                state.open(&e, true)?;
            }
            Event::End(e) => {
                state.flush();
                state.close(e.name().as_ref());
            }
            Event::Text(t) => state.pending.push_str(&t.xml10_content()),
            Event::CData(c) => state.pending.push_str(&c.xml10_content()),
            Event::GeneralRef(r) => {
                if let Some(c) = r.resolve_char_ref()? {
                    state.pending.push(c);
                } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(&r) {
                    state.pending.push_str(s);
                } else {
                    // An entity no DTD of ours defines: kept as written.
                    state.pending.push_str(&format!("&{};", &*r));
                }
            }
            Event::Comment(_) | Event::PI(_) | Event::DocType(_) | Event::Decl(_) => {
                state.flush();
            }
            Event::Eof => break,
        }
    }
    state.flush();
    state.out.redacted.push('\n');
    Ok(state.out)
}

impl Reader<'_> {
    /// Writes the text read since the last element, redacted as a whole,
    /// and adds it to the captured element it belongs to.
    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let text = self.redactor.redact_str(&std::mem::take(&mut self.pending));
        escape_into(&mut self.out.redacted, &text, false);
        if let (Some((what, _)), Some(case)) = (self.capture, self.case.as_mut()) {
            let d = &mut case.detail;
            match what {
                Capture::Failure => push_head(&mut d.text, &text),
                Capture::SystemOut => push_tail(&mut d.system_out, &text),
                Capture::SystemErr => push_tail(&mut d.system_err, &text),
            }
        }
    }

    /// An element starts (`empty`: and ends at once).
    fn open(&mut self, e: &BytesStart<'_>, empty: bool) -> Result<(), quick_xml::Error> {
        let name = self.element_name(e.name().as_ref());
        let mut attrs: Vec<(String, String)> = Vec::new();
        for attr in e.attributes() {
            let attr = attr?;
            let key = self.element_name(attr.key.as_ref());
            let value = attr.normalized_value(XmlVersion::Implicit1_0)?;
            attrs.push((key, self.redactor.redact_str(&value)));
        }
        let w = &mut self.out.redacted;
        w.push('<');
        w.push_str(&name);
        for (k, v) in &attrs {
            w.push(' ');
            w.push_str(k);
            w.push_str("=\"");
            escape_into(w, v, true);
            w.push('"');
        }
        w.push_str(if empty { "/>" } else { ">" });
        self.depth += 1;
        self.element(local(&name), &attrs, empty);
        if empty {
            self.close_at(local(&name));
        }
        Ok(())
    }

    /// What an element means for the case being read.
    fn element(&mut self, local: &str, attrs: &[(String, String)], empty: bool) {
        let get = |key: &str| attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        if local == "testcase" && self.case.is_none() {
            self.case = Some(Case {
                depth: self.depth,
                detail: FailedCase {
                    name: get("name").unwrap_or_default(),
                    classname: get("classname"),
                    ..FailedCase::default()
                },
                ..Case::default()
            });
            return;
        }
        let Some(case) = self.case.as_mut() else {
            return;
        };
        if self.depth != case.depth + 1 {
            return; // inside <rerunFailure> and the like: not the case's own
        }
        let capture = match local {
            "failure" | "error" if !case.failed => {
                case.failed = true;
                case.detail.message = get("message").unwrap_or_default();
                Capture::Failure
            }
            "skipped" => {
                case.skipped = true;
                return;
            }
            "system-out" => Capture::SystemOut,
            "system-err" => Capture::SystemErr,
            _ => return,
        };
        if !empty {
            self.capture = Some((capture, self.depth));
        }
    }

    /// An element ends.
    fn close(&mut self, raw: &str) {
        let name = self.element_name(raw);
        self.out.redacted.push_str("</");
        self.out.redacted.push_str(&name);
        self.out.redacted.push('>');
        self.close_at(local(&name));
    }

    /// The element at the current depth ends: a capture or a case may end
    /// with it.
    fn close_at(&mut self, local: &str) {
        if self.capture.is_some_and(|(_, d)| d == self.depth) {
            self.capture = None;
        }
        if local == "testcase" && self.case.as_ref().is_some_and(|c| c.depth == self.depth) {
            let case = self.case.take().expect("checked just above");
            self.count(case);
        }
        self.depth = self.depth.saturating_sub(1);
    }

    fn count(&mut self, case: Case) {
        let out = &mut self.out;
        out.total += 1;
        if case.failed {
            out.failed += 1;
            if out.failures.len() < self.keep {
                out.failures.push(case.detail);
            }
        } else if case.skipped {
            out.skipped += 1;
        } else {
            out.passed += 1;
        }
    }

    /// An element or attribute name as written, unless it holds a secret.
    fn element_name(&self, raw: &str) -> String {
        if self.redactor.redact_str(raw) == raw {
            raw.to_string()
        } else {
            "redacted".to_string()
        }
    }
}

/// The name without its namespace prefix.
fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// Appends `text` escaped for XML text (`attr`: for a quoted attribute
/// value), dropping characters XML 1.0 does not allow.
fn escape_into(out: &mut String, text: &str, attr: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\n' if attr => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attr => out.push_str("&#9;"),
            '\t' | '\n' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

/// Appends to `buf` while it is under [`MAX_TEXT`].
fn push_head(buf: &mut String, text: &str) {
    let room = MAX_TEXT.saturating_sub(buf.len());
    let mut end = room.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    buf.push_str(&text[..end]);
}

/// Appends to `buf`, keeping its last [`MAX_TEXT`] bytes or so.
fn push_tail(buf: &mut String, text: &str) {
    buf.push_str(text);
    if buf.len() > 2 * MAX_TEXT {
        let mut start = buf.len() - MAX_TEXT;
        while !buf.is_char_boundary(start) {
            start += 1;
        }
        buf.drain(..start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_cases_and_keeps_failure_text_with_entities() {
        let xml = r#"<?xml version="1.0"?><testsuites><testsuite name="s">
<testcase name="ok" classname="c"/>
<testcase name="bad" classname="c"><failure message="a &lt; b">left: 1 &amp; 2<![CDATA[ <raw> ]]></failure><system-err>err&#10;tail</system-err></testcase>
<testcase name="skip"><skipped/></testcase>
<testcase name="flaky"><flakyFailure message="once"/><rerunFailure><system-out>x</system-out></rerunFailure></testcase>
</testsuite></testsuites>"#;
        let p = read(xml, &Redactor::default(), 10).expect("parses");
        assert_eq!((p.total, p.passed, p.failed, p.skipped), (4, 2, 1, 1));
        let f = &p.failures[0];
        assert_eq!(f.name, "bad");
        assert_eq!(f.classname.as_deref(), Some("c"));
        assert_eq!(f.message, "a < b");
        assert_eq!(f.text, "left: 1 & 2 <raw> ");
        assert_eq!(f.system_err, "err\ntail");
    }

    #[test]
    fn a_secret_split_by_entities_is_redacted_everywhere() {
        let secret = "tok&en<42>";
        let xml = "<testsuite><testcase name=\"t[tok&amp;en&lt;42&gt;]\" classname=\"c.tok&#38;en&lt;42>\"><failure message=\"saw tok&amp;en&lt;42&gt;\">got t<![CDATA[ok&en<4]]>2&gt; here</failure></testcase></testsuite>";
        let p = read(xml, &Redactor::new([secret]), 10).expect("parses");
        let f = &p.failures[0];
        assert_eq!(f.name, "t[[REDACTED]]");
        assert_eq!(f.classname.as_deref(), Some("c.[REDACTED]"));
        assert_eq!(f.message, "saw [REDACTED]");
        assert_eq!(f.text, "got [REDACTED] here");
        for form in [secret, "tok&amp;en", "en&lt;42"] {
            assert!(!p.redacted.contains(form), "{form} in {}", p.redacted);
        }
        // The copy is still a report: it reads back the same.
        let again = read(&p.redacted, &Redactor::default(), 10).expect("re-reads");
        assert_eq!(again.failures[0].name, "t[[REDACTED]]");
        assert_eq!(again.failures[0].text, "got [REDACTED] here");
    }

    #[test]
    fn the_copy_drops_what_xml_forbids_and_keeps_newlines_in_attributes() {
        let xml = "<testsuite><testcase name=\"a\u{1}b\"><failure message=\"one&#10;two\">x\u{7}y</failure></testcase></testsuite>";
        let p = read(xml, &Redactor::default(), 10).expect("parses");
        assert!(p.redacted.contains("name=\"ab\""), "{}", p.redacted);
        assert!(
            p.redacted.contains("message=\"one&#10;two\""),
            "{}",
            p.redacted
        );
        assert!(p.redacted.contains(">xy</failure>"), "{}", p.redacted);
    }
}
