package wire

import "testing"

func TestParseErrorBody(t *testing.T) {
	cases := []struct {
		body           string
		ok             bool
		msg, typ, code string
	}{
		{`{"error":{"code":"InvalidEndpointOrModel.NotFound","message":"The model or endpoint ep-x does not exist.","param":"","type":"NotFound"}}`, true, "The model or endpoint ep-x does not exist.", "NotFound", "InvalidEndpointOrModel.NotFound"},
		{`{"error":{"code":401,"message":"bad key"}}`, true, "bad key", "", "401"},
		{`{"error":"plain"}`, true, "plain", "", ""},
		{`{"message":"top-level","code":"x"}`, true, "top-level", "", "x"},
		{`{"error":null}`, false, "", "", ""},
		{`not json`, false, "", "", ""},
		{"{\"error\":{\"message\":\"a\xffb\"}}", true, "a\uFFFDb", "", ""},
	}
	for _, c := range cases {
		e, ok := parseErrorBody([]byte(c.body))
		if ok != c.ok || e.message != c.msg || e.typ != c.typ || e.code != c.code {
			t.Errorf("%s: %+v %v", c.body, e, ok)
		}
	}
}
