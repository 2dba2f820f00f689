//! OPML 2.0 import and export of feed lists, the format every feed reader speaks.

use quick_xml::Reader;
use quick_xml::escape::escape;
use quick_xml::events::Event;
use thiserror::Error;

#[derive(Debug, Error)]
#[error("not a valid OPML file: {0}")]
pub struct OpmlError(String);

/// A feed named in an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outline {
    pub name: String,
    pub url: String,
}

/// Every outline with an `xmlUrl`, at any depth, in document order.
pub fn import(xml: &str) -> Result<Vec<Outline>, OpmlError> {
    let mut reader = Reader::from_str(xml);
    let mut out = Vec::new();
    let mut saw_opml = false;
    loop {
        match reader.read_event().map_err(|e| OpmlError(e.to_string()))? {
            Event::Start(e) | Event::Empty(e) => {
                let name = e.name();
                if name.as_ref() == "opml" {
                    saw_opml = true;
                }
                if name.as_ref() != "outline" {
                    continue;
                }
                let mut url = None;
                let mut title = None;
                let mut text = None;
                for attr in e.attributes().flatten() {
                    let value = attr
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| OpmlError(e.to_string()))?
                        .trim()
                        .to_owned();
                    match attr.key.as_ref() {
                        "xmlUrl" => url = Some(value),
                        "title" => title = Some(value),
                        "text" => text = Some(value),
                        _ => {}
                    }
                }
                if let Some(url) =
                    url.filter(|u| u.starts_with("http://") || u.starts_with("https://"))
                {
                    let name = title
                        .or(text)
                        .filter(|n| !n.is_empty())
                        .unwrap_or_else(|| url.clone());
                    out.push(Outline { name, url });
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_opml {
        return Err(OpmlError("no <opml> element".into()));
    }
    Ok(out)
}

/// An OPML 2.0 document listing `feeds`.
pub fn export(title: &str, feeds: &[Outline]) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head>\n    <title>{}</title>\n  </head>\n  <body>\n",
        escape(title)
    );
    for f in feeds {
        xml.push_str(&format!(
            "    <outline type=\"rss\" text=\"{0}\" title=\"{0}\" xmlUrl=\"{1}\"/>\n",
            escape(f.name.as_str()),
            escape(f.url.as_str())
        ));
    }
    xml.push_str("  </body>\n</opml>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_nested_outlines() {
        let xml = r#"<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>
          <outline text="Research"><outline type="rss" text="Talos" xmlUrl="https://blog.talosintelligence.com/rss/"/>
          <outline type="rss" title="A &amp; B" text="ab" xmlUrl=" https://ab.example/feed "/></outline>
          <outline text="no url"/><outline text="ftp" xmlUrl="ftp://x/"/></body></opml>"#;
        assert_eq!(
            import(xml).unwrap(),
            vec![
                Outline {
                    name: "Talos".into(),
                    url: "https://blog.talosintelligence.com/rss/".into()
                },
                Outline {
                    name: "A & B".into(),
                    url: "https://ab.example/feed".into()
                },
            ]
        );
    }

    #[test]
    fn export_round_trips_hostile_names() {
        let feeds = vec![Outline {
            name: "\"Q\" <&> 'x'".into(),
            url: "https://q.example/feed?a=1&b=2".into(),
        }];
        assert_eq!(import(&export("mine", &feeds)).unwrap(), feeds);
    }

    #[test]
    fn rejects_non_opml() {
        assert!(import("<rss></rss>").is_err());
        assert!(
            import("<opml><body><outline").is_err()
                || import("<opml><body><outline").unwrap().is_empty()
        );
    }
}
