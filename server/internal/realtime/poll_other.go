//go:build !linux

package realtime

// Without epoll every socket keeps a reader goroutine (readPump).

func (c *Client) poll(wait bool) bool { return false }

func unpoll(uint64) {}
