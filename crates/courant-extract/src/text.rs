//! Text out of markup: each block a paragraph, each `<br>` a line break,
//! and loose text between blocks wrapped as the paragraph a browser shows.

use courant_text::squash;

use crate::dom::elements;

/// Paragraph text of what is under `sel`: each text block (paragraph,
/// heading, list item, quote, cell) is a paragraph, and so is each run of
/// text that sits between blocks in a container ("<div><b>MEANING:</b></div>
/// adjective: Overly sentimental.<br><div>…"), which the HTML shows too.
pub(crate) fn blocks_to_text(sel: &dom_query::Selection<'_>) -> String {
    let mut out = Paragraphs::default();
    for node in sel.nodes() {
        out.walk(node, 0);
    }
    out.flush();
    out.paras.join("\n\n")
}

/// Wraps each run of loose text that sits between blocks in a container in a
/// `<p>` (two `<br>`s in a row end a run), so that it is judged as a
/// paragraph like any other and shown as one.
pub(crate) fn wrap_loose_runs(doc: &dom_query::Document) {
    let is_block = |n: &dom_query::NodeRef<'_>| {
        n.element_ref().is_some_and(|el| {
            let name: &str = &el.name.local;
            TEXT_BLOCKS.contains(&name) || CONTAINERS.contains(&name)
        })
    };
    for el in elements(&doc.root()) {
        if !el
            .element_ref()
            .is_some_and(|e| CONTAINERS.contains(&&*e.name.local))
        {
            continue;
        }
        let children: Vec<dom_query::NodeRef<'_>> = el.children_it(false).collect();
        // A container of inline content only is itself one paragraph.
        if !children.iter().any(is_block) {
            continue;
        }
        let mut run: Vec<dom_query::NodeRef<'_>> = Vec::new();
        let mut brs = 0;
        for c in children {
            if c.has_name("br") {
                brs += 1;
            } else if !(c.is_text() && c.text().trim().is_empty()) {
                let block = is_block(&c);
                if block || brs >= 2 {
                    wrap_run(doc, &run);
                    run.clear();
                }
                brs = 0;
                if block {
                    continue;
                }
            }
            run.push(c);
        }
        wrap_run(doc, &run);
    }
}

/// Moves the nodes of `run`, from its first to its last non-blank one, into a
/// new `<p>`, when any of them holds text.
fn wrap_run(doc: &dom_query::Document, run: &[dom_query::NodeRef<'_>]) {
    let inked = |n: &dom_query::NodeRef<'_>| !n.has_name("br") && !n.text().trim().is_empty();
    let (Some(first), Some(last)) = (run.iter().position(inked), run.iter().rposition(inked))
    else {
        return;
    };
    let p = doc.tree.new_element("p");
    run[first].insert_before(&p);
    for n in &run[first..=last] {
        p.append_child(n);
    }
}

/// Elements whose text is one paragraph.
const TEXT_BLOCKS: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "blockquote",
    "pre",
    "figcaption",
    "td",
    "th",
    "dt",
    "dd",
];

/// Elements that end the run of loose text before them and start a new one after.
const CONTAINERS: &[&str] = &[
    "div", "section", "article", "main", "header", "footer", "aside", "nav", "figure", "ul", "ol",
    "dl", "table", "thead", "tbody", "tfoot", "tr", "caption", "form", "fieldset", "address",
    "details", "summary", "hr", "body", "html",
];

/// Nesting followed by [`Paragraphs::walk`]; deeper loose text is ignored.
/// Pages are bounded before parsing, feed summaries are not: this bounds the
/// recursion for both.
const WALK_DEPTH: usize = 512;

#[derive(Default)]
struct Paragraphs {
    paras: Vec<String>,
    /// Loose text since the last block.
    run: String,
}

impl Paragraphs {
    fn walk(&mut self, node: &dom_query::NodeRef<'_>, depth: usize) {
        if depth > WALK_DEPTH {
            return;
        }
        let mut child = node.first_child();
        while let Some(c) = child {
            if c.is_text() {
                push_text(&mut self.run, &c.text(), false);
            } else if let Some(name) = c.qual_name_ref().map(|q| q.local.clone()) {
                if &*name == "br" {
                    self.run.push('\n');
                } else if TEXT_BLOCKS.contains(&&*name) {
                    self.flush();
                    let t = text_of(&c);
                    if !t.is_empty() {
                        self.paras.push(t);
                    }
                } else if CONTAINERS.contains(&&*name) {
                    self.flush();
                    self.walk(&c, depth + 1);
                    self.flush();
                } else {
                    self.walk(&c, depth + 1);
                }
            }
            child = c.next_sibling();
        }
    }

    /// Ends the run of loose text, as a paragraph when it holds any.
    fn flush(&mut self) {
        if self.run.is_empty() {
            return;
        }
        let t = lines(&self.run);
        self.run.clear();
        if !t.is_empty() {
            self.paras.push(t);
        }
    }
}

/// A block's text, each `<br>` a line break: "zusammen,<br>unser" must not
/// come out glued as "zusammen,unser".
fn text_of(node: &dom_query::NodeRef<'_>) -> String {
    // A line break in the markup is only white space, except in `<pre>`.
    let pre = node.has_name("pre");
    let mut raw = String::new();
    for d in node.descendants_it() {
        if d.is_text() {
            push_text(&mut raw, &d.text(), pre);
        } else if d.has_name("br") {
            raw.push('\n');
        }
    }
    lines(&raw)
}

/// Appends a text node's text; its line breaks become spaces unless `keep_lines`.
fn push_text(out: &mut String, text: &str, keep_lines: bool) {
    if keep_lines {
        out.push_str(text);
    } else {
        out.extend(text.chars().map(|c| if c == '\n' { ' ' } else { c }));
    }
}

/// Each line of `raw` with its whitespace squashed, empty lines dropped.
fn lines(raw: &str) -> String {
    raw.split('\n')
        .map(squash)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}
