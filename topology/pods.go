package topology

import "fmt"

// firstAutoVNI is where automatic VNI allocation starts; 1 is the default pod.
const firstAutoVNI = 2

// AddPod creates a pod. vni 0 picks the lowest free VNI from 2 upwards.
func (m *Model) AddPod(name string, vni uint32) (Pod, error) {
	if err := validateObjectName("pod", name); err != nil {
		return Pod{}, err
	}
	if vni > MaxVNI {
		return Pod{}, fmt.Errorf("pod %q: VNI %d out of range 1..%d: %w", name, vni, MaxVNI, ErrInvalid)
	}
	if _, exists := m.pods[name]; exists {
		return Pod{}, fmt.Errorf("pod %q already exists: %w", name, ErrConflict)
	}
	if vni == 0 {
		free, ok := m.lowestFreeVNI()
		if !ok {
			return Pod{}, fmt.Errorf("pod %q: no free VNI left: %w", name, ErrConflict)
		}
		vni = free
	} else if other, used := m.podByVNI[vni]; used {
		return Pod{}, fmt.Errorf("pod %q: VNI %d already used by pod %q: %w", name, vni, other, ErrConflict)
	}
	p := Pod{Name: name, VNI: vni}
	m.insertPod(p)
	return p, nil
}

func (m *Model) lowestFreeVNI() (uint32, bool) {
	for v := uint32(firstAutoVNI); v <= MaxVNI; v++ {
		if _, used := m.podByVNI[v]; !used {
			return v, true
		}
	}
	return 0, false
}

// DeletePod removes a pod. A pod with members is only removed with force,
// and its attachments go with it; they are returned. The default pod cannot
// be deleted.
func (m *Model) DeletePod(name string, force bool) ([]Attachment, error) {
	if name == DefaultPod {
		return nil, fmt.Errorf("pod %q cannot be deleted: %w", name, ErrInvalid)
	}
	p, ok := m.pods[name]
	if !ok {
		return nil, fmt.Errorf("pod %q: %w", name, ErrNotFound)
	}
	var gone []Attachment
	if in := m.parts.inPod.get(name); in.Len() > 0 {
		if !force {
			return nil, fmt.Errorf("pod %q has %d member(s); detach them or force: %w", name, in.Len(), ErrConflict)
		}
		gone = in.attachments()
	}
	for _, a := range gone {
		m.removeAttachment(a)
	}
	delete(m.pods, p.Name)
	delete(m.podByVNI, p.VNI)
	m.parts.pods = nil
	return gone, nil
}

func (m *Model) insertPod(p Pod) {
	m.pods[p.Name] = p
	m.podByVNI[p.VNI] = p.Name
	m.parts.pods = nil
}
