module github.com/spelunk/spelunk

go 1.26

require (
	github.com/dlclark/regexp2 v1.12.0
	go.yaml.in/yaml/v3 v3.0.4
)
