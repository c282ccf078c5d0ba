//! PDF surgery with lopdf (printpdf's own parser is lossy): stamping a rendered page onto an
//! official base PDF as a form XObject, and concatenating PDFs.

use lopdf::{Document, Object, ObjectId, Stream, dictionary};

/// Stamp page N of `over` onto page N of `base` (document info stays that of `base`).
pub fn overlay(base: &[u8], over: &[u8]) -> Result<Vec<u8>, lopdf::Error> {
    overlay_dated(base, over, None)
}

/// Concatenate PDFs (the combined print job when some forms have a base PDF).
pub fn merge(parts: &[Vec<u8>]) -> Result<Vec<u8>, lopdf::Error> {
    merge_dated(parts, None)
}

/// [`overlay`], with the output's creation date set to `date` (a PDF date string).
pub(crate) fn overlay_dated(base: &[u8], over: &[u8], date: Option<&str>) -> Result<Vec<u8>, lopdf::Error> {
    let mut tpl = Document::load_mem(base)?;
    let mut ov = Document::load_mem(over)?;
    ov.renumber_objects_with(tpl.max_id + 1);
    tpl.max_id = ov.max_id;
    let tpl_pages = tpl.get_pages();
    let mut stamps = Vec::new();
    for (n, ov_page) in ov.get_pages() {
        let Some(&tpl_page) = tpl_pages.get(&n) else { continue };
        let content = ov.get_page_content(ov_page);
        let page = ov.get_dictionary(ov_page)?;
        let dict = dictionary! {
            "Type" => "XObject",
            "Subtype" => "Form",
            "BBox" => page.get(b"MediaBox")?.clone(),
            "Resources" => page.get(b"Resources")?.clone(),
        };
        stamps.push((tpl_page, Stream::new(dict, content)));
    }
    tpl.objects.extend(std::mem::take(&mut ov.objects));
    for (page, stamp) in stamps {
        tpl.insert_form_object(page, stamp)?;
    }
    finish(tpl, date)
}

pub(crate) fn merge_dated(parts: &[Vec<u8>], date: Option<&str>) -> Result<Vec<u8>, lopdf::Error> {
    let Some((first, rest)) = parts.split_first() else { return Err(lopdf::Error::PageNumberNotFound(0)) };
    let mut out = Document::load_mem(first)?;
    let pages_id: ObjectId = out.catalog()?.get(b"Pages")?.as_reference()?;
    for p in rest {
        let mut d = Document::load_mem(p)?;
        d.renumber_objects_with(out.max_id + 1);
        out.max_id = d.max_id;
        let page_ids: Vec<ObjectId> = d.get_pages().values().copied().collect();
        out.objects.extend(std::mem::take(&mut d.objects));
        for pid in &page_ids {
            out.get_dictionary_mut(*pid)?.set("Parent", pages_id);
        }
        let pages = out.get_dictionary_mut(pages_id)?;
        let count = pages.get(b"Count").and_then(Object::as_i64).unwrap_or(0);
        if let Ok(kids) = pages.get_mut(b"Kids").and_then(Object::as_array_mut) {
            kids.extend(page_ids.iter().map(|id| Object::Reference(*id)));
        }
        pages.set("Count", count + page_ids.len() as i64);
    }
    finish(out, date)
}

fn finish(mut d: Document, date: Option<&str>) -> Result<Vec<u8>, lopdf::Error> {
    if let Some(date) = date {
        // The base PDF's own info (its creation date is the form's publication) is replaced by
        // that of the filled form: created at the visit, by madoguchi.
        let info = d.add_object(dictionary! {
            "CreationDate" => Object::string_literal(date),
            "ModDate" => Object::string_literal(date),
            "Producer" => Object::string_literal("madoguchi"),
            "Creator" => Object::string_literal("madoguchi"),
        });
        d.trailer.set("Info", info);
    }
    d.prune_objects();
    // Dense object numbers and a matching trailer /Size (qpdf warns otherwise).
    d.renumber_objects();
    d.trailer.set("Size", i64::from(d.max_id) + 1);
    d.compress();
    let mut out = Vec::new();
    d.save_to(&mut out)?;
    Ok(out)
}
