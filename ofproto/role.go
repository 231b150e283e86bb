package ofproto

// ControllerRole is a controller's role on a switch (ofp_controller_role).
type ControllerRole uint32

// Controller roles.
const (
	RoleNoChange ControllerRole = 0
	RoleEqual    ControllerRole = 1
	RoleMaster   ControllerRole = 2
	RoleSlave    ControllerRole = 3
)

// RoleRequest asks to change (or, with RoleNoChange, query) this
// controller's role. GenerationID orders master elections.
type RoleRequest struct {
	Role         ControllerRole
	GenerationID uint64
}

// RoleReply answers RoleRequest with the role now held.
type RoleReply struct {
	Role         ControllerRole
	GenerationID uint64
}

const roleLen = 16

func (*RoleRequest) Type() Type                   { return TypeRoleRequest }
func (m *RoleRequest) AppendBody(b []byte) []byte { return appendRole(b, m.Role, m.GenerationID) }
func (m *RoleRequest) DecodeBody(b []byte) error {
	return decodeRole(b, "ROLE_REQUEST", &m.Role, &m.GenerationID)
}

func (*RoleReply) Type() Type                   { return TypeRoleReply }
func (m *RoleReply) AppendBody(b []byte) []byte { return appendRole(b, m.Role, m.GenerationID) }
func (m *RoleReply) DecodeBody(b []byte) error {
	return decodeRole(b, "ROLE_REPLY", &m.Role, &m.GenerationID)
}

func appendRole(b []byte, role ControllerRole, gen uint64) []byte {
	b = ap32(b, uint32(role))
	b = apZeros(b, 4)
	return ap64(b, gen)
}

func decodeRole(b []byte, msg string, role *ControllerRole, gen *uint64) error {
	if err := exactLen(msg, HeaderLen, b, roleLen); err != nil {
		return err
	}
	*role, *gen = ControllerRole(u32(b)), u64(b[8:])
	return nil
}
