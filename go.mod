module github.com/spelunk/spelunk

go 1.26

require (
	github.com/dlclark/regexp2 v1.11.5 // indirect
	go.yaml.in/yaml/v3 v3.0.4 // indirect
)
