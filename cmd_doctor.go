package main

import "context"

func (e env) doctor(ctx context.Context, args []string) error { return nil }
