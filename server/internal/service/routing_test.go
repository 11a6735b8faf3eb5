package service

import "testing"

// TestPageMatches is the page_glob rule as a table.
func TestPageMatches(t *testing.T) {
	for _, tc := range []struct {
		glob, url string
		want      bool
	}{
		{"/checkout*", "https://shop.example/checkout", true},
		{"/checkout*", "https://shop.example/checkout/step/2?x=1#top", true},
		{"/checkout*", "https://shop.example/cart/checkout", false},
		{"*/checkout*", "https://shop.example/cart/checkout", true},
		{"/checkout", "https://shop.example/checkout?step=2", true},
		{"/", "https://shop.example", true},
		{"/", "https://shop.example/a", false},
		{"https://shop.example/*", "HTTPS://Shop.Example/Help", true},
		{"*://shop.example/*", "http://other.example/shop.example/x", false},
		{"*shop.example*", "http://other.example/shop.example/x", true},
		{"/item-??", "https://s.example/item-42", true},
		{"/item-??", "https://s.example/item-4", false},
		{"/a*b*c", "https://s.example/axxbyyc", true},
		{"/a*b*c", "https://s.example/axxbyy", false},
		{"/a*", "", false},
		{"/caf\u00e9/*", "https://s.example/caf%C3%A9/menu", true},
		{"/[abc]", "https://s.example/[abc]", true},
		{"/*?q=1", "https://s.example/x?q=1", false},
	} {
		if got := pageMatches(tc.glob, tc.url); got != tc.want {
			t.Errorf("pageMatches(%q, %q) = %v, want %v", tc.glob, tc.url, got, tc.want)
		}
	}
}

// TestDomainMatches: a domain and its subdomains, nothing else.
func TestDomainMatches(t *testing.T) {
	for _, tc := range []struct {
		domain string
		want   bool
	}{
		{"bigcorp.com", true}, {"eu.bigcorp.com", true}, {"notbigcorp.com", false}, {"bigcorp.com.evil", false}, {"", false},
	} {
		if got := domainMatches([]string{"bigcorp.com"}, tc.domain); got != tc.want {
			t.Errorf("domainMatches(%q) = %v, want %v", tc.domain, got, tc.want)
		}
	}
}
