package service

import (
	"net/mail"
	"net/url"
	"strings"
	"unicode/utf8"

	"holler/server/internal/model"
)

// checkText trims s and records a problem when it is blank (required) or
// longer than max characters.
func checkText(v *model.Validator, field, s string, max int, required bool) string {
	s = strings.TrimSpace(s)
	switch {
	case required && s == "":
		v.Add(field, "is required")
	case utf8.RuneCountInString(s) > max:
		v.Add(field, "is too long (at most "+itoa(max)+" characters)")
	case !utf8.ValidString(s):
		v.Add(field, "is not valid UTF-8")
	}
	return s
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// checkEmail trims and lower-cases an e-mail address; empty is allowed
// unless required.
func checkEmail(v *model.Validator, field, s string, required bool) string {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			v.Add(field, "is required")
		}
		return ""
	}
	if len(s) > model.MaxEmailLen {
		v.Add(field, "is too long (at most 254 characters)")
		return s
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") && !strings.HasSuffix(s, "@localhost") {
		v.Add(field, "is not an email address")
		return s
	}
	return strings.ToLower(s)
}

// checkURL accepts only absolute http(s) URLs up to the contract's limit.
func checkURL(v *model.Validator, field, s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if len(s) > model.MaxURLLen {
		v.Add(field, "is too long (at most 2048 characters)")
		return s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.Add(field, "must be an http or https URL")
	}
	return s
}

// checkOrigin validates one allowed-origin entry: scheme://host[:port].
func checkOrigin(s string) (string, bool) {
	s = strings.TrimRight(strings.TrimSpace(s), "/")
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
		return s, false
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
