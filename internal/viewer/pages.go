package viewer

import (
	"bytes"
	"html/template"
	"log"
	"net/http"
)

// pages holds one template set per page, each with the shared layout.
type pages struct {
	list, trace, observation, notFound *template.Template
}

func parsePages() pages {
	parse := func(page string) *template.Template {
		return template.Must(template.New("layout.html").Funcs(funcs).ParseFS(files,
			"templates/layout.html", "templates/parts.html", "templates/"+page))
	}
	return pages{
		list:        parse("list.html"),
		trace:       parse("trace.html"),
		observation: parse("observation.html"),
		notFound:    parse("notfound.html"),
	}
}

// render executes t into a buffer first, so that a template error answers
// 500 instead of half a page.
func render(w http.ResponseWriter, t *template.Template, name string, status int, data any) {
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		log.Printf("litefuse ui: rendering %s: %v", t.Name(), err)
		http.Error(w, "litefuse ui: page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// notFound answers 404 with a page that says what was not found.
func (h *Handler) notFound(w http.ResponseWriter, what, id string) {
	render(w, h.pages.notFound, "layout.html", http.StatusNotFound, struct {
		Title, What, ID string
		Stats           statsView
	}{"Not found", what, id, h.stats()})
}
