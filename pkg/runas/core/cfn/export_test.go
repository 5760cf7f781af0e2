package cfn

// UnregisterSection removes a section registered by a test.
func UnregisterSection(name string) {
	sections.Lock()
	defer sections.Unlock()
	delete(sections.byName, name)
}
