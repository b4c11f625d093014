module github.com/marill-go/marill

go 1.26
